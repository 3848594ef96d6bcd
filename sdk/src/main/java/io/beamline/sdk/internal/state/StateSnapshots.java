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
        ExchangeSpec exchange = stage.inputExchange();
        out.writeInt(stores.length);
        for (KeyedStateStore store : stores) {
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

  @SuppressWarnings("unchecked")
  private static void writePushedBack(
      DataOutputStream out, Stage stage, List<List<WindowedValue<?>>> buffers) throws IOException {
    Coder<WindowedValue<?>> coder = (Coder<WindowedValue<?>>) stage.inputExchange().elementCoder();
    List<WindowedValue<?>> all = new ArrayList<>();
    buffers.forEach(all::addAll);
    out.writeInt(all.size());
    for (WindowedValue<?> element : all) {
      byte[] encoded;
      try {
        encoded = CoderUtils.encodeToByteArray(coder, element);
      } catch (RuntimeException e) {
        throw new IllegalStateException(
            "Cannot snapshot the elements " + stage + " holds back for its side inputs", e);
      }
      out.writeInt(encoded.length);
      out.write(encoded);
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
