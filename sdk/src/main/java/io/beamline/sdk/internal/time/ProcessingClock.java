package io.beamline.sdk.internal.time;

import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The processing-time clock of a streaming run: wall-clock time, or — when a TestStream drives the
 * pipeline — a synthetic clock that starts at {@link #SYNTHETIC_START} and moves only when the
 * TestStream says so (as Beam's DirectRunner does), so tests of processing-time triggers and timers
 * are deterministic.
 *
 * <p>Threading: driver thread only.
 */
public final class ProcessingClock {
  /** Where a synthetic clock starts. */
  public static final Instant SYNTHETIC_START = new Instant(0);

  private final boolean synthetic;
  private Instant now;

  private ProcessingClock(boolean synthetic, Instant start) {
    this.synthetic = synthetic;
    this.now = start;
  }

  public static ProcessingClock wallClock() {
    return new ProcessingClock(false, Instant.now());
  }

  public static ProcessingClock synthetic() {
    return new ProcessingClock(true, SYNTHETIC_START);
  }

  /** True for a TestStream's clock, which moves only on the TestStream's events. */
  public boolean isSynthetic() {
    return synthetic;
  }

  /** The current processing time; a wall clock reads the system clock, never going back. */
  public Instant now() {
    if (!synthetic) {
      Instant wall = Instant.now();
      if (wall.isAfter(now)) {
        now = wall;
      }
    }
    return now;
  }

  /**
   * Advances a synthetic clock.
   *
   * @throws IllegalStateException on a wall clock
   */
  public void advance(Duration amount) {
    if (!synthetic) {
      throw new IllegalStateException("Only a synthetic (TestStream) clock can be advanced");
    }
    now = now.plus(amount);
  }
}
