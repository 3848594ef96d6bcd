package io.beamline.sdk.internal.execution;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
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
}
