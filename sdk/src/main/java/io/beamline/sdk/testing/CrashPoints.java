package io.beamline.sdk.testing;

import java.util.concurrent.TimeUnit;

/**
 * Named points of the epoch commit protocol at which a crash test kills the runner's JVM. When the
 * system property {@code beamline.crashPoint} is {@code <point>:<epoch>} and the run reaches that
 * point of that epoch, this prints {@code BEAMLINE-CRASH-POINT <point>:<epoch>} to stderr and
 * blocks, so the test can SIGKILL the JVM exactly there. Without the property it does nothing.
 *
 * <p>Points: {@code midOffsets} (half of {@code offsets/N} written to its temp file), {@code
 * afterOffsets} ({@code offsets/N} durable, nothing processed), {@code midSnapshot} (half of {@code
 * state/N} written to its temp file), {@code beforeCommit} (state durable, {@code commits/N} not
 * written). Sinks add their own: the Kafka sink's {@code sinkBeforeCommit} (epoch N produced and
 * flushed, its transaction not committed) and {@code sinkAfterCommit} (transaction committed,
 * {@code commits/N} not written).
 */
public final class CrashPoints {
  private static final String TARGET = System.getProperty("beamline.crashPoint");

  private CrashPoints() {}

  /** Blocks forever if the crash test asked to be stopped at {@code point} of {@code epoch}. */
  public static void reached(String point, long epoch) {
    if (TARGET == null || !TARGET.equals(point + ":" + epoch)) {
      return;
    }
    System.err.println("BEAMLINE-CRASH-POINT " + TARGET);
    System.err.flush();
    while (true) {
      try {
        TimeUnit.HOURS.sleep(1);
      } catch (InterruptedException e) {
        // keep waiting for the kill
      }
    }
  }
}
