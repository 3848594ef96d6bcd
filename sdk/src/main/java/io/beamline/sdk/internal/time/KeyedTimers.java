package io.beamline.sdk.internal.time;


import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * Moves the clocks of one key's timers and fires the timers that became eligible: the input
 * watermark, processing time and synchronized processing time only move forward (+∞ at the end of a
 * bounded run, as in Beam's Flink batch runner), and every eligible timer fires, in timestamp order
 * per domain, until firing timers sets no new eligible ones. Synchronized processing time is the
 * processing time up to which upstream work has been delivered (Beam's {@code
 * TimeDomain.SYNCHRONIZED_PROCESSING_TIME}, the clock of continuation triggers); an engine that
 * runs stages one after another passes the processing time for it.
 */
public final class KeyedTimers {
  private KeyedTimers() {}

  /** Receives fired timers. */
  @FunctionalInterface
  public interface Firing {
    void fire(List<TimerData> timers) throws Exception;
  }

  /**
   * Advances the clocks of {@code timers} to {@code watermark}, {@code processingTime} and {@code
   * synchronizedTime} and delivers the eligible timers.
   *
   * @param oneAtATime deliver timers one by one (stateful DoFns: a timer may set an earlier one) or
   *     all eligible timers of a domain together (GroupAlsoByWindow)
   * @return how many timers fired
   */
  public static int fire(
      InMemoryTimerInternals timers,
      Instant watermark,
      Instant processingTime,
      Instant synchronizedTime,
      boolean oneAtATime,
      Firing firing)
      throws Exception {
    if (watermark.isAfter(timers.currentInputWatermarkTime())) {
      timers.advanceInputWatermark(watermark);
    }
    setProcessingTime(timers, processingTime, synchronizedTime);
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
   * Moves the output watermark of {@code timers} to {@code target}, clipped to their input
   * watermark and never back. A keyed operator's output watermark is what downstream has already
   * seen (DirectRunner: the step's output watermark when the bundle started; Flink: the operator
   * instance's). Without it runners-core's {@code PaneInfoTracker} cannot tell that a first pane
   * of a window the watermark has passed (a merged session, a window whose first element is late)
   * is LATE, and calls it ON_TIME.
   */
  public static void setOutputWatermark(InMemoryTimerInternals timers, Instant target) {
    Instant output = timers.currentOutputWatermarkTime();
    if (target.isAfter(timers.currentInputWatermarkTime())) {
      target = timers.currentInputWatermarkTime();
    }
    if (target.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE)
        && (output == null || target.isAfter(output))) {
      timers.advanceOutputWatermark(target);
    }
  }

  /**
   * Sets the processing-time clocks of {@code timers} to {@code time} and {@code synchronizedTime}
   * (each never back) without firing anything: the times at which the key's next elements are
   * processed.
   */
  public static void setProcessingTime(
      InMemoryTimerInternals timers, Instant time, Instant synchronizedTime) throws Exception {
    if (time.isAfter(timers.currentProcessingTime())) {
      timers.advanceProcessingTime(time);
    }
    Instant current = timers.currentSynchronizedProcessingTime();
    if (current == null || synchronizedTime.isAfter(current)) {
      timers.advanceSynchronizedProcessingTime(synchronizedTime);
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
