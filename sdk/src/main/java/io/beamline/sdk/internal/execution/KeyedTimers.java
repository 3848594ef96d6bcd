package io.beamline.sdk.internal.execution;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.joda.time.Instant;

/**
 * Moves the clocks of one key's timers and fires the timers that became eligible: the input
 * watermark, processing time and synchronized processing time only move forward (+∞ at the end of a
 * bounded run, as in Beam's Flink batch runner), and every eligible timer fires, in timestamp order
 * per domain, until firing timers sets no new eligible ones.
 */
final class KeyedTimers {
  private KeyedTimers() {}

  /** Receives fired timers. */
  @FunctionalInterface
  interface Firing {
    void fire(List<TimerData> timers) throws Exception;
  }

  /** Receives the fired timers of one key. */
  @FunctionalInterface
  interface KeyFiring {
    void fire(KeyedStateStore.KeyState key, List<TimerData> timers) throws Exception;
  }

  /**
   * Moves the partition of {@code store} to {@code watermark} and {@code processingTime} and fires
   * the eligible timers of every key that has timers, key after key in first-seen order, with
   * {@code current} set to the key being fired.
   *
   * @return how many timers fired
   */
  static int fireAll(
      KeyedStateStore store,
      CurrentKey current,
      Instant watermark,
      Instant processingTime,
      boolean oneAtATime,
      KeyFiring firing)
      throws Exception {
    store.advancedTo(watermark);
    int count = 0;
    for (KeyedStateStore.KeyState keyState : store.all()) {
      if (keyState.timers.pending().isEmpty()) {
        continue; // its clocks catch up when the key is next used (KeyedStateStore.get)
      }
      current.set(keyState);
      count += fire(keyState.timers, watermark, processingTime, oneAtATime, t -> firing.fire(keyState, t));
    }
    return count;
  }

  /**
   * Advances the clocks of {@code timers} to {@code watermark} and {@code processingTime} and
   * delivers the eligible timers.
   *
   * @param oneAtATime deliver timers one by one (stateful DoFns: a timer may set an earlier one) or
   *     all eligible timers of a domain together (GroupAlsoByWindow)
   * @return how many timers fired
   */
  static int fire(
      InMemoryTimerInternals timers,
      Instant watermark,
      Instant processingTime,
      boolean oneAtATime,
      Firing firing)
      throws Exception {
    if (watermark.isAfter(timers.currentInputWatermarkTime())) {
      timers.advanceInputWatermark(watermark);
    }
    setProcessingTime(timers, processingTime);
    int count = 0;
    boolean fired = true;
    while (fired) {
      fired = false;
      for (int domain = 0; domain < 3; domain++) {
        List<TimerData> batch = new ArrayList<>();
        TimerData timer;
        while ((timer = next(timers, domain)) != null) {
          fired = true;
          count++;
          if (oneAtATime) {
            firing.fire(List.of(timer));
          } else {
            batch.add(timer);
          }
        }
        if (!batch.isEmpty()) {
          firing.fire(batch);
        }
      }
    }
    return count;
  }

  /**
   * Sets both processing-time clocks of {@code timers} to {@code time} (never back) without firing
   * anything: the time at which the key's next elements are processed.
   */
  static void setProcessingTime(InMemoryTimerInternals timers, Instant time) throws Exception {
    if (time.isAfter(timers.currentProcessingTime())) {
      timers.advanceProcessingTime(time);
    }
    Instant synchronizedTime = timers.currentSynchronizedProcessingTime();
    if (synchronizedTime == null || time.isAfter(synchronizedTime)) {
      timers.advanceSynchronizedProcessingTime(time);
    }
  }

  private static TimerData next(InMemoryTimerInternals timers, int domain) {
    switch (domain) {
      case 0:
        return timers.removeNextEventTimer();
      case 1:
        return timers.removeNextProcessingTimer();
      default:
        return timers.removeNextSynchronizedProcessingTimer();
    }
  }
}
