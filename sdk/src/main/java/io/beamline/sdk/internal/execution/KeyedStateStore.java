package io.beamline.sdk.internal.execution;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Instant;

/**
 * The per-key state and timers of one keyed operator in one partition (the heap state backend). In
 * a bounded run it lives for one task; in a streaming run it lives across epochs, owned by the
 * {@link EpochExecutor}.
 *
 * <p>Threading: used by one task at a time; successive epochs' tasks are ordered by the epoch
 * barrier.
 */
public final class KeyedStateStore {

  /** State and timers of one key. */
  static final class KeyState {
    final Object structuralKey;
    final Object key;
    final HoldTracking.StateInternals state;
    final HoldTracking.TimerInternals timers = new HoldTracking.TimerInternals();

    KeyState(Object structuralKey, Object key) {
      this.structuralKey = structuralKey;
      this.key = key;
      this.state = new HoldTracking.StateInternals(key);
    }
  }

  private final Map<Object, KeyState> keys = new LinkedHashMap<>();
  private Instant watermark = BoundedWindow.TIMESTAMP_MIN_VALUE;

  /**
   * The state of the key whose structural value is {@code structuralKey}, created on first use. A
   * new key's timers start at the watermark the partition has already reached, so a key first seen
   * in a later epoch does not see time go back.
   */
  KeyState get(Object structuralKey, Object key) {
    KeyState keyState = keys.get(structuralKey);
    if (keyState == null) {
      keyState = new KeyState(structuralKey, key);
      try {
        keyState.timers.advanceInputWatermark(watermark);
      } catch (Exception e) {
        throw new IllegalStateException("Cannot initialise timers of a new key", e);
      }
      keys.put(structuralKey, keyState);
    }
    return keyState;
  }

  /** Records that every key's timers have advanced to {@code watermark} (end of an epoch). */
  void advancedTo(Instant watermark) {
    if (watermark.isAfter(this.watermark)) {
      this.watermark = watermark;
    }
  }

  /** Every key seen so far, in first-seen order. */
  Collection<KeyState> all() {
    return keys.values();
  }

  /**
   * The earliest watermark hold of any key (state holds and pending timers' output timestamps), or
   * +∞ if there is none.
   */
  public Instant earliestHold() {
    Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (KeyState keyState : keys.values()) {
      Instant state = keyState.state.earliestHold();
      Instant timers = keyState.timers.earliestHold();
      Instant key = state.isBefore(timers) ? state : timers;
      if (key.isBefore(earliest)) {
        earliest = key;
      }
    }
    return earliest;
  }

  /** Number of keys with state or timers. */
  public int size() {
    return keys.size();
  }

  /** Number of non-empty state cells over all keys, for progress reports. */
  public long cellCount() throws IOException {
    long cells = 0;
    for (KeyState keyState : keys.values()) {
      cells += keyState.state.cellCount();
    }
    return cells;
  }

  /**
   * Writes the state and pending timers of every key that has any, and the watermark reached.
   * Keys are encoded with {@code keyCoder}, timers with Beam's {@code TimerDataCoderV2} over
   * {@code windowCoder}, state cells by {@link StateCells}.
   *
   * @throws IOException if a coder fails
   */
  @SuppressWarnings("unchecked")
  public void snapshot(
      DataOutputStream out, Coder<?> keyCoder, Coder<? extends BoundedWindow> windowCoder)
      throws IOException {
    Coder<TimerData> timerCoder = TimerInternals.TimerDataCoderV2.of(windowCoder);
    List<KeyState> live = new ArrayList<>();
    for (KeyState keyState : keys.values()) {
      if (!keyState.state.isEmpty() || !keyState.timers.pending().isEmpty()) {
        live.add(keyState);
      }
    }
    out.writeLong(watermark.getMillis());
    out.writeInt(live.size());
    for (KeyState keyState : live) {
      writeBytes(out, CoderUtils.encodeToByteArray((Coder<Object>) keyCoder, keyState.key));
      keyState.state.snapshot(out);
      out.writeInt(keyState.timers.pending().size());
      for (TimerData timer : keyState.timers.pending()) {
        writeBytes(out, CoderUtils.encodeToByteArray(timerCoder, timer));
      }
    }
  }

  /**
   * Reads a snapshot written by {@link #snapshot} into {@code stores}, each key into the store of
   * its partition ({@link Partitioning}), so a snapshot taken with another parallelism restores
   * too.
   *
   * @throws IOException if the snapshot does not decode with these coders
   */
  @SuppressWarnings("unchecked")
  public static void restore(
      DataInputStream in,
      KeyedStateStore[] stores,
      Coder<?> keyCoder,
      Coder<? extends BoundedWindow> windowCoder)
      throws IOException {
    Coder<TimerData> timerCoder = TimerInternals.TimerDataCoderV2.of(windowCoder);
    Instant reached = new Instant(in.readLong());
    for (KeyedStateStore store : stores) {
      store.advancedTo(reached);
    }
    int count = in.readInt();
    for (int i = 0; i < count; i++) {
      Object key = CoderUtils.decodeFromByteArray((Coder<Object>) keyCoder, readBytes(in));
      Object structuralKey = ((Coder<Object>) keyCoder).structuralValue(key);
      KeyState keyState =
          stores[Partitioning.partitionOf(structuralKey, stores.length)].get(structuralKey, key);
      keyState.state.restore(in);
      int timers = in.readInt();
      for (int t = 0; t < timers; t++) {
        keyState.timers.setTimer(CoderUtils.decodeFromByteArray(timerCoder, readBytes(in)));
      }
    }
  }

  private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    return bytes;
  }
}
