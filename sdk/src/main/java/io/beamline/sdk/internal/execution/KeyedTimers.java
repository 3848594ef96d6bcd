package io.beamline.sdk.internal.execution;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;

/**
 * Fires the timers of one key at the end of a bounded execution: the input watermark, processing
 * time and synchronized processing time jump to +∞ and every eligible timer fires, in timestamp
 * order per domain, until firing timers sets no new eligible ones (as Beam's Flink batch runner
 * does for stateful DoFns).
 */
final class KeyedTimers {
  private KeyedTimers() {}

  /** Receives fired timers. */
  @FunctionalInterface
  interface Firing {
    void fire(List<TimerData> timers) throws Exception;
  }

  /**
   * Advances all clocks of {@code timers} to the end of time and delivers eligible timers.
   *
   * @param oneAtATime deliver timers one by one (stateful DoFns: a timer may set an earlier one) or
   *     all eligible timers of a domain together (GroupAlsoByWindow)
   */
  static void fireAllToEndOfTime(InMemoryTimerInternals timers, boolean oneAtATime, Firing firing)
      throws Exception {
    timers.advanceInputWatermark(BoundedWindow.TIMESTAMP_MAX_VALUE);
    timers.advanceProcessingTime(BoundedWindow.TIMESTAMP_MAX_VALUE);
    timers.advanceSynchronizedProcessingTime(BoundedWindow.TIMESTAMP_MAX_VALUE);
    boolean fired = true;
    while (fired) {
      fired = false;
      for (int domain = 0; domain < 3; domain++) {
        List<TimerData> batch = new ArrayList<>();
        TimerData timer;
        while ((timer = next(timers, domain)) != null) {
          fired = true;
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
