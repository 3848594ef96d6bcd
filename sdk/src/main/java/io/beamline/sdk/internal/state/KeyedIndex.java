package io.beamline.sdk.internal.state;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * What a {@link KeyedStateStore} keeps so that moving time does not visit every key, which a
 * RealtimeRunner task does every few milliseconds (its watermark moves, its processing-time clock
 * ticks, each bundle ends) and MicroBatchRunner once per epoch:
 *
 * <ul>
 *   <li><b>Timer bounds</b>: per domain (event, processing, synchronized processing time) a lower bound of
 *       every key's earliest pending timer. Lowered as timers are set, recomputed exactly whenever
 *       the keys are visited to fire timers; while the watermark and the clock are before both
 *       bounds no timer can fire and no key needs a visit.
 *   <li><b>Holds</b>: each key's earliest watermark hold (state holds and timers' output
 *       timestamps) in a sorted multiset, recomputed only for the keys used since the last time
 *       the store's earliest hold was asked for — a key's holds change only while its element or
 *       timer is processed, which marks it used.
 * </ul>
 *
 * <p>Threading: as its store, one task at a time.
 */
final class KeyedIndex {
  private Instant eventTimerBound = BoundedWindow.TIMESTAMP_MAX_VALUE;
  private Instant processingTimerBound = BoundedWindow.TIMESTAMP_MAX_VALUE;
  private Instant synchronizedTimerBound = BoundedWindow.TIMESTAMP_MAX_VALUE;
  /** The indexed holds of the keys: hold → number of keys with it. */
  private final TreeMap<Instant, Integer> holds = new TreeMap<>();
  /** Keys used since their hold was last indexed, each once (flag {@code holdStale}). */
  private final List<KeyedStateStore.KeyState> stale = new ArrayList<>();

  /** A timer was set on some key: lowers the bound of its domain. */
  void timerSet(TimerData timer) {
    Instant at = timer.getTimestamp();
    switch (timer.getDomain()) {
      case EVENT_TIME -> eventTimerBound = earlier(at, eventTimerBound);
      case PROCESSING_TIME -> processingTimerBound = earlier(at, processingTimerBound);
      case SYNCHRONIZED_PROCESSING_TIME ->
          synchronizedTimerBound = earlier(at, synchronizedTimerBound);
    }
  }

  private static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /** Whether some key may have a timer due at one of these clocks. */
  boolean timersMayFire(Instant watermark, Instant processingTime, Instant synchronizedTime) {
    return !eventTimerBound.isAfter(watermark)
        || !processingTimerBound.isAfter(processingTime)
        || !synchronizedTimerBound.isAfter(synchronizedTime);
  }

  /** Starts recomputing the bounds: every key is then visited and {@link #bound bound}. */
  void resetTimerBounds() {
    eventTimerBound = BoundedWindow.TIMESTAMP_MAX_VALUE;
    processingTimerBound = BoundedWindow.TIMESTAMP_MAX_VALUE;
    synchronizedTimerBound = BoundedWindow.TIMESTAMP_MAX_VALUE;
  }

  /** Lowers the bounds to {@code timers}' earliest pending timers. */
  void bound(HoldTracking.TimerInternals timers) {
    eventTimerBound = earlier(timers.earliestEventTimer(), eventTimerBound);
    processingTimerBound = earlier(timers.earliestProcessingOnlyTimer(), processingTimerBound);
    synchronizedTimerBound = earlier(timers.earliestSynchronizedTimer(), synchronizedTimerBound);
  }

  /** {@code key} was used: its hold is recomputed when the earliest hold is next asked for. */
  void used(KeyedStateStore.KeyState key) {
    if (!key.holdStale) {
      key.holdStale = true;
      stale.add(key);
    }
  }

  /** {@code key} left its store (evicted, or replaced by a restore): its hold no longer counts. */
  void removed(KeyedStateStore.KeyState key) {
    key.gone = true;
    unindex(key);
  }

  /**
   * The earliest hold of any key, or +∞: first re-indexes the keys used since the last call, with
   * their hold as {@code holdOf} computes it.
   */
  Instant earliestHold(Function<KeyedStateStore.KeyState, Instant> holdOf) {
    for (KeyedStateStore.KeyState key : stale) {
      key.holdStale = false;
      if (key.gone) {
        continue;
      }
      unindex(key);
      Instant hold = holdOf.apply(key);
      if (hold.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        holds.merge(hold, 1, Integer::sum);
        key.indexedHold = hold;
      }
    }
    stale.clear();
    return holds.isEmpty() ? BoundedWindow.TIMESTAMP_MAX_VALUE : holds.firstKey();
  }

  private void unindex(KeyedStateStore.KeyState key) {
    @Nullable Instant hold = key.indexedHold;
    if (hold != null) {
      key.indexedHold = null;
      holds.computeIfPresent(hold, (h, n) -> n == 1 ? null : n - 1);
    }
  }
}
