package io.beamline.sdk.internal.execution;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.InMemoryTimerInternals;

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
    final InMemoryStateInternals<Object> state;
    final InMemoryTimerInternals timers = new InMemoryTimerInternals();

    KeyState(Object structuralKey, Object key) {
      this.structuralKey = structuralKey;
      this.key = key;
      this.state = InMemoryStateInternals.forKey(key);
    }
  }

  private final Map<Object, KeyState> keys = new LinkedHashMap<>();

  /** The state of the key whose structural value is {@code structuralKey}, created on first use. */
  KeyState get(Object structuralKey, Object key) {
    return keys.computeIfAbsent(structuralKey, k -> new KeyState(k, key));
  }

  /** Every key seen so far, in first-seen order. */
  Collection<KeyState> all() {
    return keys.values();
  }

  /** Number of keys with state or timers. */
  public int size() {
    return keys.size();
  }
}
