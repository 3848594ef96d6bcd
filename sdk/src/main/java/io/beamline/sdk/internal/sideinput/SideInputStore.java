package io.beamline.sdk.internal.sideinput;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.PCollection;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.LateDataUtils;
import org.apache.beam.runners.core.ReadyCheckingSideInputReader;
import org.apache.beam.runners.core.SideInputHandler;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The materialised contents of every {@link PCollectionView} of one execution: the elements written
 * by the view's producing stage, grouped by window.
 *
 * <p>Contents are kept per producing partition, so that one task's part can be encoded at a barrier
 * ({@link #encodedPartition}) while the other tasks of its stage go on writing.
 *
 * <p>Threading: tasks of a producing stage call {@link #append} concurrently; readers are built by
 * tasks of consuming stages, which start only after the producing stage completed (stage order) or,
 * on RealtimeRunner, read what is ready by watermark.
 * Turning contents into view values (the {@code ViewFn}) is left to runners-core's {@link
 * SideInputHandler}, one per reading task.
 */
public final class SideInputStore {
  /** Per view, per producing partition, the elements it wrote, in order. */
  private final Map<PCollectionView<?>, Map<Integer, List<WindowedValue<?>>>> written =
      new HashMap<>();
  private final Map<PCollectionView<?>, Instant> watermarks = new HashMap<>();
  private final boolean complete;
  /** Views whose windows are ready only by watermark, never because data arrived. */
  private final java.util.function.Predicate<PCollectionView<?>> byWatermarkOnly;
  /** Changes whenever contents change, so readers know to rebuild their view values. */
  private long version;

  /**
   * @param complete true in a bounded run, where a view is read only after all of its input was
   *     written, so every window of it is ready; false in an epoch run, where a window is ready
   *     once data arrived for it or the watermark of the view's input passed its end
   */
  public SideInputStore(boolean complete) {
    this(complete, view -> false);
  }

  private SideInputStore(
      boolean complete, java.util.function.Predicate<PCollectionView<?>> byWatermarkOnly) {
    this.complete = complete;
    this.byWatermarkOnly = byWatermarkOnly;
  }

  /**
   * A store for a run whose stages all run at once over bounded input (RealtimeRunner in batch): a
   * view's producer writes its contents bundle by bundle while consumers already run, so a window
   * is ready only once the view's watermark has passed it (at the latest when its producer is done),
   * never merely because some data arrived for it.
   */
  public static SideInputStore readyByWatermark() {
    return new SideInputStore(false, view -> true);
  }

  /**
   * A store for a streaming run whose stages all run at once (RealtimeRunner with {@code
   * --streaming=true}): a view over a <em>bounded</em> PCollection is ready by watermark only, as in
   * {@link #readyByWatermark()} (its input ends, so its watermark does reach the window; before that
   * its producer may have written only some bundles of it); a view over an unbounded PCollection is
   * ready once data arrived for the window, as in an epoch run, since its watermark may never pass.
   */
  public static SideInputStore readyByWatermarkIfBounded() {
    return new SideInputStore(
        false,
        view ->
            view.getPCollection() != null
                && view.getPCollection().isBounded() == PCollection.IsBounded.BOUNDED);
  }

  /** Records the watermark of the PCollection behind {@code view} (epoch runs). */
  public synchronized void setWatermark(PCollectionView<?> view, Instant watermark) {
    watermarks.put(view, watermark);
  }

  /**
   * Whether {@code window} of {@code view} is ready to be read: in a bounded run always; otherwise
   * once data arrived for it, or once the view's watermark has passed the time by which the window
   * must have produced output if it had any input: the earlier of its garbage collection time (end
   * plus the view's allowed lateness) and the watermark that guarantees its trigger fires
   * (DirectRunner's {@code SideInputContainer}, which writes an empty view for the window then,
   * through {@code WatermarkCallbackExecutor.callOnGuaranteedFiring}). With the default trigger
   * that is the window's end; with {@code Wait.on}'s {@code Never} trigger it is the end plus the
   * allowed lateness, so late signal data still holds the main input back.
   */
  synchronized boolean isReady(PCollectionView<?> view, BoundedWindow window) {
    if (complete) {
      return true;
    }
    Instant watermark = watermarks.getOrDefault(view, BoundedWindow.TIMESTAMP_MIN_VALUE);
    if (watermark.isAfter(guaranteedFiring(view, window))
        || !watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
      return true;
    }
    if (byWatermarkOnly.test(view)) {
      return false;
    }
    for (List<WindowedValue<?>> values : written.getOrDefault(view, Map.of()).values()) {
      for (WindowedValue<?> value : values) {
        if (value.getWindows().contains(window)) {
          return true;
        }
      }
    }
    return false;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Instant guaranteedFiring(PCollectionView<?> view, BoundedWindow window) {
    WindowingStrategy strategy = view.getWindowingStrategyInternal();
    Instant garbageCollection = LateDataUtils.garbageCollectionTime(window, strategy);
    Instant trigger = strategy.getTrigger().getWatermarkThatGuaranteesFiring(window);
    return trigger.isBefore(garbageCollection) ? trigger : garbageCollection;
  }

  /**
   * Writes the watermark and elements of each of {@code views} (in iteration order), elements
   * encoded with the full coder of the view's input PCollection (the map's value), partition by
   * partition in partition order.
   */
  public synchronized void snapshot(DataOutputStream out, Map<PCollectionView<?>, PCollection<?>> views)
      throws IOException {
    for (PCollectionView<?> view : views.keySet()) {
      Coder<WindowedValue<?>> coder = coderOf(views.get(view));
      List<byte[]> encoded = new ArrayList<>();
      for (int partition : partitionsOf(view)) {
        encode(coder, written.get(view).get(partition), encoded);
      }
      writeView(
          out, watermarks.getOrDefault(view, BoundedWindow.TIMESTAMP_MIN_VALUE).getMillis(), encoded);
    }
  }

  /**
   * Writes one view as {@link #snapshot} does: its watermark (ms), then its elements, already
   * encoded.
   */
  public static void writeView(DataOutputStream out, long watermark, List<byte[]> elements)
      throws IOException {
    out.writeLong(watermark);
    out.writeInt(elements.size());
    for (byte[] bytes : elements) {
      out.writeInt(bytes.length);
      out.write(bytes);
    }
  }

  /**
   * The elements partition {@code partition} wrote for {@code view} so far, each encoded with the
   * full coder of {@code input} (the view's input PCollection), in order: that partition's part of
   * {@link #snapshot}, taken on the partition's own thread at a barrier.
   */
  public List<byte[]> encodedPartition(PCollectionView<?> view, PCollection<?> input, int partition)
      throws IOException {
    List<WindowedValue<?>> values;
    synchronized (this) {
      List<WindowedValue<?>> mine = written.getOrDefault(view, Map.of()).get(partition);
      values = mine == null ? List.of() : new ArrayList<>(mine);
    }
    List<byte[]> encoded = new ArrayList<>(values.size());
    encode(coderOf(input), values, encoded);
    return encoded;
  }

  private static void encode(
      Coder<WindowedValue<?>> coder, List<WindowedValue<?>> values, List<byte[]> into)
      throws IOException {
    for (WindowedValue<?> value : values) {
      into.add(CoderUtils.encodeToByteArray(coder, value));
    }
  }

  /** The partitions that wrote to {@code view}, ascending. */
  private List<Integer> partitionsOf(PCollectionView<?> view) {
    List<Integer> partitions = new ArrayList<>(written.getOrDefault(view, Map.of()).keySet());
    java.util.Collections.sort(partitions);
    return partitions;
  }

  /** Forgets the contents and watermarks of {@code views} (before reading them whole again). */
  public synchronized void clear(java.util.Collection<PCollectionView<?>> views) {
    for (PCollectionView<?> view : views) {
      written.remove(view);
      watermarks.remove(view);
    }
    version++;
  }

  /**
   * Reads what {@link #snapshot} wrote for the same {@code views} into this empty store (as written
   * by partition 0: the parallelism may have changed).
   */
  public synchronized void restore(DataInputStream in, Map<PCollectionView<?>, PCollection<?>> views)
      throws IOException {
    for (PCollectionView<?> view : views.keySet()) {
      watermarks.put(view, new Instant(in.readLong()));
      Coder<WindowedValue<?>> coder = coderOf(views.get(view));
      int count = in.readInt();
      List<WindowedValue<?>> values = partition(view, 0);
      for (int i = 0; i < count; i++) {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        values.add(CoderUtils.decodeFromByteArray(coder, bytes));
      }
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Coder<WindowedValue<?>> coderOf(PCollection<?> input) {
    return (Coder)
        WindowedValues.getFullCoder(
            input.getCoder(), input.getWindowingStrategy().getWindowFn().windowCoder());
  }

  /** Adds elements written by task {@code partition} of the producing stage for {@code view}. */
  public synchronized void append(
      PCollectionView<?> view, int partition, List<WindowedValue<?>> values) {
    if (!values.isEmpty()) {
      partition(view, partition).addAll(values);
      version++;
    }
  }

  private List<WindowedValue<?>> partition(PCollectionView<?> view, int partition) {
    return written
        .computeIfAbsent(view, v -> new HashMap<>())
        .computeIfAbsent(partition, p -> new ArrayList<>());
  }

  synchronized long version() {
    return version;
  }

  /** Contents of {@code view} grouped by window (windows with no elements are absent). */
  synchronized Map<BoundedWindow, List<Object>> contentsByWindow(PCollectionView<?> view) {
    Map<BoundedWindow, List<Object>> byWindow = new LinkedHashMap<>();
    for (int partition : partitionsOf(view)) {
      for (WindowedValue<?> value : written.get(view).get(partition)) {
        for (BoundedWindow window : value.getWindows()) {
          byWindow.computeIfAbsent(window, w -> new ArrayList<>()).add(value.getValue());
        }
      }
    }
    return byWindow;
  }

  /**
   * A reader over the given views for one task. View values are computed once per (view, window)
   * and cached until the views change, since a ViewFn over a large input is expensive and DoFns
   * read side inputs per element.
   */
  public SideInputReader readerFor(Collection<PCollectionView<?>> views) {
    return new CachingReader(views, this);
  }

  private SideInputHandler handlerFor(Collection<PCollectionView<?>> views) {
    SideInputHandler handler = new SideInputHandler(views, InMemoryStateInternals.forKey(null));
    for (PCollectionView<?> view : views) {
      for (Map.Entry<BoundedWindow, List<Object>> e : contentsByWindow(view).entrySet()) {
        handler.addSideInputValue(
            view,
            WindowedValues.of(
                e.getValue(), BoundedWindow.TIMESTAMP_MIN_VALUE, e.getKey(), PaneInfo.NO_FIRING));
      }
    }
    return handler;
  }

  /**
   * Reads views through a runners-core {@link SideInputHandler} rebuilt whenever the store changed
   * since it was built; view values cached per (view, window) until then. Confined to one task.
   */
  private static final class CachingReader implements ReadyCheckingSideInputReader {
    private final Collection<PCollectionView<?>> views;
    private final SideInputStore store;
    private final Map<PCollectionView<?>, Map<BoundedWindow, Object>> cache = new HashMap<>();
    private SideInputHandler handler;
    private long version = -1;

    CachingReader(Collection<PCollectionView<?>> views, SideInputStore store) {
      this.views = views;
      this.store = store;
    }

    private SideInputHandler handler() {
      long now = store.version();
      if (handler == null || now != version) {
        handler = store.handlerFor(views);
        cache.clear();
        version = now;
      }
      return handler;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> @Nullable T get(PCollectionView<T> view, BoundedWindow window) {
      SideInputHandler current = handler();
      Map<BoundedWindow, Object> byWindow = cache.computeIfAbsent(view, v -> new HashMap<>());
      if (!byWindow.containsKey(window)) {
        byWindow.put(window, current.get(view, window));
      }
      return (T) byWindow.get(window);
    }

    @Override
    public <T> boolean contains(PCollectionView<T> view) {
      return views.contains(view);
    }

    @Override
    public boolean isEmpty() {
      return views.isEmpty();
    }

    @Override
    public boolean isReady(PCollectionView<?> view, BoundedWindow window) {
      return store.isReady(view, window);
    }
  }
}
