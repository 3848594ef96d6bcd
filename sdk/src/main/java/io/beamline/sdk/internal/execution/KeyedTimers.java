package io.beamline.sdk.internal.execution;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.joda.time.Instant;

/**
 * Fires the timers of one key at the end of an epoch: the input watermark advances to the stage's
 * watermark, processing time and synchronized processing time to the runner's clock (both +∞ at
 * the end of a bounded run, as in Beam's Flink batch runner), and every eligible timer fires, in
 * timestamp order per domain, until firing timers sets no new eligible ones.
 */
final class KeyedTimers {
  private KeyedTimers() {}

  /** Receives fired timers. */
  @FunctionalInterface
  interface Firing {
    void fire(List<TimerData> timers) throws Exception;
  }

  /**
   * Advances the clocks of {@code timers} to the end of {@code epoch} and delivers eligible timers.
   *
   * @return how many timers fired
   * @param oneAtATime deliver timers one by one (stateful DoFns: a timer may set an earlier one) or
   *     all eligible timers of a domain together (GroupAlsoByWindow)
   */
  static int fireUpTo(
      InMemoryTimerInternals timers, EpochContext epoch, boolean oneAtATime, Firing firing)
      throws Exception {
    advanceClocks(timers, epoch);
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

  /** Advances the input watermark and both processing-time clocks; never moves them back. */
  static void advanceClocks(InMemoryTimerInternals timers, EpochContext epoch) throws Exception {
    if (epoch.inputWatermark().isAfter(timers.currentInputWatermarkTime())) {
      timers.advanceInputWatermark(epoch.inputWatermark());
    }
    advanceProcessingTime(timers, epoch.endProcessingTime());
  }

  /** Advances both processing-time clocks to the clock used while processing elements. */
  static void advanceProcessingTime(InMemoryTimerInternals timers, EpochContext epoch)
      throws Exception {
    advanceProcessingTime(timers, epoch.processingTime());
  }

  private static void advanceProcessingTime(InMemoryTimerInternals timers, Instant time)
      throws Exception {
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
