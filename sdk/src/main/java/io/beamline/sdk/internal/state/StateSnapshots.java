package io.beamline.sdk.internal.state;

import io.beamline.sdk.internal.plan.ExchangeSpec;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.sideinput.SideInputStore;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The snapshot of an epoch run after an epoch, in two parts. The <b>clocks</b> ({@link Time}:
 * processing time, the jump flag and every stage's output watermark) change with nearly every epoch
 * and are small: they go into {@code commits/N}. The <b>heap state</b> — the keyed state and timers
 * of every keyed stage ({@link KeyedStateStore#snapshot}), pushed-back elements, and the contents
 * and watermarks of side-input views — goes into {@code state/N/heap}, and only when it differs
 * from the last one written (a stateless or idle pipeline then writes no state file per epoch).
 * Stages and views are identified by their position in the plan, which the checkpoint's plan
 * fingerprint pins.
 *
 * <p>Heap layout (big-endian, {@link DataOutputStream}): version; per stage in plan order a flag
 * and its keyed stores, a flag and its pushed-back elements; then the views in plan order.
 *
 * <p>A run whose tasks snapshot at a barrier, each at its own moment (RealtimeRunner), takes one
 * {@link PartitionImage} per task on the task's thread ({@link #image}) and puts them together
 * with {@link #assemble}, which gives the bytes {@link #write} or {@link #writeDelta} would give
 * for the same state, so either runner restores the other's snapshots.
 */
public final class StateSnapshots {
  public static final String HEAP = "heap";
  private static final int VERSION = 2;
  /** A delta: keyed stores hold only the keys used since the last snapshot or delta. */
  private static final int DELTA_VERSION = 3;

  /**
   * The run's clocks, written to {@code commits/N}.
   *
   * @param watermarks every stage's output watermark in plan order, ms ({@code Long.MIN_VALUE}
   *     for a stage that has none yet)
   */
  public record Time(Instant processingTime, boolean jumpToEndOfTime, long[] watermarks) {}

  /** The clocks of the run now. */
  public Time time(Instant processingTime, boolean jumpToEndOfTime) {
    long[] watermarks = new long[plan.stages().size()];
    int i = 0;
    for (Stage stage : plan.stages()) {
      Instant watermark = outputWatermarks.get(stage);
      watermarks[i++] = watermark == null ? Long.MIN_VALUE : watermark.getMillis();
    }
    return new Time(processingTime, jumpToEndOfTime, watermarks);
  }

  /**
   * Puts logged clocks back: the output watermarks into the run (and into the keyed stores
   * restored before), the rest returned.
   */
  public void restoreWatermarks(Time time) {
    int i = 0;
    for (Stage stage : plan.stages()) {
      long watermark = time.watermarks()[i++];
      if (watermark != Long.MIN_VALUE) {
        outputWatermarks.put(stage, new Instant(watermark));
        for (KeyedStateStore store : keyedState.getOrDefault(stage, new KeyedStateStore[0])) {
          store.outputReached(new Instant(watermark)); // what downstream has seen
        }
      }
    }
  }

  private final ExecutablePlan plan;
  private final Map<Stage, KeyedStateStore[]> keyedState;
  private final Map<Stage, List<List<WindowedValue<?>>>> pushedBack;
  private final Map<Stage, Instant> outputWatermarks;
  private final SideInputStore sideInputs;
  private final Function<Stage, KeyedStateStore[]> storesOf;
  private final Function<Stage, List<List<WindowedValue<?>>>> pushbackOf;
  /** Bytes of the last snapshot or delta written: the next one's buffer starts that large. */
  private int lastWritten = 4096;

  public StateSnapshots(
      ExecutablePlan plan,
      Map<Stage, KeyedStateStore[]> keyedState,
      Map<Stage, List<List<WindowedValue<?>>>> pushedBack,
      Map<Stage, Instant> outputWatermarks,
      SideInputStore sideInputs,
      Function<Stage, KeyedStateStore[]> storesOf,
      Function<Stage, List<List<WindowedValue<?>>>> pushbackOf) {
    this.plan = plan;
    this.keyedState = keyedState;
    this.pushedBack = pushedBack;
    this.outputWatermarks = outputWatermarks;
    this.sideInputs = sideInputs;
    this.storesOf = storesOf;
    this.pushbackOf = pushbackOf;
  }

  /**
   * Encodes the run's state.
   *
   * @throws IllegalStateException if some state cannot be encoded (its coder fails), naming the
   *     stage
   */
  public byte[] write() throws IOException {
    return write(false);
  }

  /**
   * Keys in all keyed stores: with {@code dirtyOnly}, those used since the last {@link #write} or
   * {@link #writeDelta} (what a delta would hold), else all keys held.
   */
  public long keys(boolean dirtyOnly) {
    long keys = 0;
    for (KeyedStateStore[] stores : keyedState.values()) {
      for (KeyedStateStore store : stores) {
        keys += dirtyOnly ? store.dirtyCount() : store.size();
      }
    }
    return keys;
  }

  /**
   * Encodes what changed since the last {@link #write} or {@link #writeDelta}: the keys every
   * keyed store used since then ({@link KeyedStateStore#snapshotDelta}), and held-back elements
   * and side-input views whole (they are small). {@link #applyDelta} after {@link #restore} of the
   * snapshot before it gives the run's state now.
   *
   * @throws IllegalStateException if some state cannot be encoded (its coder fails), naming the
   *     stage
   */
  public byte[] writeDelta() throws IOException {
    return write(true);
  }

  private byte[] write(boolean delta) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(lastWritten + lastWritten / 8);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(delta ? DELTA_VERSION : VERSION);
    for (Stage stage : plan.stages()) {
      KeyedStateStore[] stores = keyedState.get(stage);
      out.writeBoolean(stores != null);
      if (stores != null) {
        out.writeInt(stores.length);
        for (KeyedStateStore store : stores) {
          writeStore(out, stage, store, delta);
        }
      }
      List<List<WindowedValue<?>>> buffers = pushedBack.get(stage);
      out.writeBoolean(buffers != null);
      if (buffers != null) {
        writePushedBack(out, stage, buffers);
      }
    }
    sideInputs.snapshot(out, views());
    out.flush();
    lastWritten = bytes.size();
    return bytes.toByteArray();
  }

  /**
   * One task's part of a snapshot taken at a barrier: what {@link #write} (or, for a delta, {@link
   * #writeDelta}) writes for one partition of one stage, already encoded, so that its task can go on
   * while the other tasks reach the barrier.
   *
   * @param keyed the partition's keyed store as {@link KeyedStateStore#snapshot} (or {@link
   *     KeyedStateStore#snapshotDelta}) writes it, or null for a stage without keyed state
   * @param pushedBack the partition's elements held back for side inputs, each encoded with the
   *     stage's input element coder, or null for a stage that reads no side input
   * @param views per view the stage produces (in {@link Stage#producedViews} order), the elements
   *     this partition wrote, each encoded as {@link SideInputStore#snapshot} encodes them
   * @param outputWatermark the task's output watermark at the barrier, ms
   * @param keys keys the partition's store holds; {@code dirtyKeys} of them were used since its
   *     last image (all a delta image holds)
   */
  public record PartitionImage(
      boolean delta,
      byte @Nullable [] keyed,
      @Nullable List<byte[]> pushedBack,
      List<List<byte[]>> views,
      long outputWatermark,
      long keys,
      long dirtyKeys) {}

  /**
   * Encodes partition {@code partition} of {@code stage}: its keyed store (whole, or for a delta
   * the keys used since its last image, which starts a new delta), its held-back elements and what
   * it wrote to the views it produces. Runs on the task's thread.
   *
   * @param store the partition's keyed store, or null for a stage without one
   * @param pushedBack the partition's held-back elements, or null for a stage without side inputs
   * @param outputWatermark the task's output watermark now
   * @throws IllegalStateException if some state cannot be encoded (its coder fails), naming the
   *     stage
   */
  public static PartitionImage image(
      Stage stage,
      int partition,
      boolean delta,
      @Nullable KeyedStateStore store,
      @Nullable List<WindowedValue<?>> pushedBack,
      SideInputStore sideInputs,
      Instant outputWatermark)
      throws IOException {
    byte[] keyed = null;
    long keys = 0;
    long dirtyKeys = 0;
    if (store != null) {
      keys = store.size();
      dirtyKeys = store.dirtyCount();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      writeStore(out, stage, store, delta);
      out.flush();
      keyed = bytes.toByteArray();
    }
    List<byte[]> held = null;
    if (pushedBack != null) {
      held = new ArrayList<>(pushedBack.size());
      for (WindowedValue<?> element : pushedBack) {
        held.add(encodeHeldBack(stage, element));
      }
    }
    List<List<byte[]>> views = new ArrayList<>();
    for (PCollectionView<?> view : stage.producedViews()) {
      views.add(sideInputs.encodedPartition(view, stage.viewInput(view), partition));
    }
    return new PartitionImage(
        delta, keyed, held, views, outputWatermark.getMillis(), keys, dirtyKeys);
  }

  /** One keyed store of {@code stage}, whole or (for a delta) the keys used since its last write. */
  private static void writeStore(
      DataOutputStream out, Stage stage, KeyedStateStore store, boolean delta) throws IOException {
    ExchangeSpec exchange = stage.inputExchange();
    try {
      if (delta) {
        store.snapshotDelta(out, exchange.windowCoder());
      } else {
        store.snapshot(out, exchange.keyCoder(), exchange.windowCoder());
      }
    } catch (RuntimeException e) {
      throw new IllegalStateException("Cannot snapshot the keyed state of " + stage, e);
    }
  }

  /**
   * Puts the images of every task together: the bytes {@link #write} (or {@link #writeDelta}, if
   * the images are deltas) would give for the state they hold. A view's watermark is the minimum of
   * its producing tasks' output watermarks.
   *
   * @param images per stage of the plan, its tasks' images in partition order
   * @throws IllegalArgumentException if a stage's images are missing or of mixed kinds
   */
  public byte[] assemble(Map<Stage, PartitionImage[]> images) throws IOException {
    Boolean delta = null;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(lastWritten + lastWritten / 8);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(VERSION); // replaced below once the kind is known
    for (Stage stage : plan.stages()) {
      PartitionImage[] parts = images.get(stage);
      if (parts == null || parts.length == 0) {
        throw new IllegalArgumentException("No snapshot image of " + stage);
      }
      for (PartitionImage part : parts) {
        if (delta != null && delta != part.delta()) {
          throw new IllegalArgumentException("Base and delta images mixed at " + stage);
        }
        delta = part.delta();
      }
      boolean keyed = parts[0].keyed() != null;
      out.writeBoolean(keyed);
      if (keyed) {
        out.writeInt(parts.length);
        for (PartitionImage part : parts) {
          out.write(part.keyed());
        }
      }
      boolean held = parts[0].pushedBack() != null;
      out.writeBoolean(held);
      if (held) {
        int count = 0;
        for (PartitionImage part : parts) {
          count += part.pushedBack().size();
        }
        out.writeInt(count);
        for (PartitionImage part : parts) {
          for (byte[] element : part.pushedBack()) {
            out.writeInt(element.length);
            out.write(element);
          }
        }
      }
    }
    for (Stage stage : plan.stages()) {
      PartitionImage[] parts = images.get(stage);
      long watermark = Long.MAX_VALUE;
      for (PartitionImage part : parts) {
        watermark = Math.min(watermark, part.outputWatermark());
      }
      for (int v = 0; v < stage.producedViews().size(); v++) {
        List<byte[]> elements = new ArrayList<>();
        for (PartitionImage part : parts) {
          elements.addAll(part.views().get(v));
        }
        SideInputStore.writeView(out, watermark, elements);
      }
    }
    out.flush();
    byte[] assembled = bytes.toByteArray();
    if (Boolean.TRUE.equals(delta)) {
      java.nio.ByteBuffer.wrap(assembled).putInt(0, DELTA_VERSION);
    }
    lastWritten = assembled.length;
    return assembled;
  }

  /**
   * Restores heap state written by {@link #write} into the run's (empty) structures.
   *
   * @throws IOException if the snapshot does not decode
   */
  public void restore(byte[] snapshot) throws IOException {
    read(snapshot, false);
  }

  /**
   * Applies a delta written by {@link #writeDelta} to the run's state restored from the snapshot
   * (and deltas) before it.
   *
   * @throws IOException if the delta does not decode
   */
  public void applyDelta(byte[] delta) throws IOException {
    read(delta, true);
  }

  private void read(byte[] snapshot, boolean delta) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot));
    int version = in.readInt();
    int expected = delta ? DELTA_VERSION : VERSION;
    if (version != expected) {
      throw new IOException("Snapshot format version " + version + ", expected " + expected);
    }
    for (Stage stage : plan.stages()) {
      if (in.readBoolean()) {
        ExchangeSpec exchange = stage.inputExchange();
        KeyedStateStore[] stores = storesOf.apply(stage);
        int written = in.readInt(); // the parallelism may have changed: keys are routed anew
        for (int p = 0; p < written; p++) {
          if (delta) {
            KeyedStateStore.applyDelta(in, stores, exchange.keyCoder(), exchange.windowCoder());
          } else {
            KeyedStateStore.restore(in, stores, exchange.keyCoder(), exchange.windowCoder());
          }
        }
      }
      if (in.readBoolean()) {
        List<List<WindowedValue<?>>> buffers = pushbackOf.apply(stage);
        if (delta) {
          buffers.forEach(List::clear); // written whole: replaces what was there
        }
        readPushedBack(in, stage, buffers);
      }
    }
    if (delta) {
      sideInputs.clear(views().keySet()); // written whole: replaces what was there
    }
    sideInputs.restore(in, views());
  }

  private static void writePushedBack(
      DataOutputStream out, Stage stage, List<List<WindowedValue<?>>> buffers) throws IOException {
    List<WindowedValue<?>> all = new ArrayList<>();
    buffers.forEach(all::addAll);
    out.writeInt(all.size());
    for (WindowedValue<?> element : all) {
      byte[] encoded = encodeHeldBack(stage, element);
      out.writeInt(encoded.length);
      out.write(encoded);
    }
  }

  @SuppressWarnings("unchecked")
  private static byte[] encodeHeldBack(Stage stage, WindowedValue<?> element) {
    Coder<WindowedValue<?>> coder = (Coder<WindowedValue<?>>) stage.inputExchange().elementCoder();
    try {
      return CoderUtils.encodeToByteArray(coder, element);
    } catch (RuntimeException | java.io.IOException e) {
      throw new IllegalStateException(
          "Cannot snapshot the elements " + stage + " holds back for its side inputs", e);
    }
  }

  @SuppressWarnings("unchecked")
  private static void readPushedBack(
      DataInputStream in, Stage stage, List<List<WindowedValue<?>>> buffers) throws IOException {
    Coder<WindowedValue<?>> coder = (Coder<WindowedValue<?>>) stage.inputExchange().elementCoder();
    int count = in.readInt();
    for (int i = 0; i < count; i++) {
      byte[] encoded = new byte[in.readInt()];
      in.readFully(encoded);
      buffers.get(i % buffers.size()).add(CoderUtils.decodeFromByteArray(coder, encoded));
    }
  }

  private Map<PCollectionView<?>, PCollection<?>> views() {
    Map<PCollectionView<?>, PCollection<?>> views = new LinkedHashMap<>();
    for (Stage stage : plan.stages()) {
      for (PCollectionView<?> view : stage.producedViews()) {
        views.put(view, stage.viewInput(view));
      }
    }
    return views;
  }
}
