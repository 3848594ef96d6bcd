package io.beamline.runners.realtime.internal;

import java.util.concurrent.atomic.AtomicLong;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The processing-time clock of a real-time run: the wall clock, never going back, or — when a
 * TestStream drives the pipeline — a synthetic clock that starts at 0 and moves only on the
 * TestStream's processing-time events, as on Beam's DirectRunner and MicroBatchRunner.
 *
 * <p>Threading: read by every task thread; a synthetic clock is advanced by the TestStream's task.
 */
public final class RealtimeClock {
  private final boolean synthetic;
  private final AtomicLong nowMillis;

  private RealtimeClock(boolean synthetic, long startMillis) {
    this.synthetic = synthetic;
    this.nowMillis = new AtomicLong(startMillis);
  }

  public static RealtimeClock wallClock() {
    return new RealtimeClock(false, System.currentTimeMillis());
  }

  public static RealtimeClock synthetic() {
    return new RealtimeClock(true, 0);
  }

  public boolean isSynthetic() {
    return synthetic;
  }

  /** The current processing time. */
  public Instant now() {
    if (!synthetic) {
      long wall = System.currentTimeMillis();
      return new Instant(nowMillis.accumulateAndGet(wall, Math::max));
    }
    return new Instant(nowMillis.get());
  }

  /**
   * Advances a synthetic clock by {@code amount}.
   *
   * @throws IllegalStateException on the wall clock
   */
  public void advance(Duration amount) {
    if (!synthetic) {
      throw new IllegalStateException("Only a synthetic (TestStream) clock can be advanced");
    }
    nowMillis.addAndGet(amount.getMillis());
  }
}
