package io.beamline.sdk.testing;

import java.util.concurrent.TimeUnit;

/**
 * Named points of the epoch commit protocol at which a crash test kills the runner's JVM. When the
 * system property {@code beamline.crashPoint} is {@code <point>:<epoch>} and the run reaches that
 * point of that epoch, this prints {@code BEAMLINE-CRASH-POINT <point>:<epoch>} to stderr and
 * blocks, so the test can SIGKILL the JVM exactly there. Without the property it does nothing.
 *
 * <p>The runners' points and those of the Kafka sink are the {@link CrashPoint}s; a connector may
 * name points of its own ({@link #reached(String, long)}).
 */
public final class CrashPoints {
  private static final String TARGET = System.getProperty("beamline.crashPoint");

  private CrashPoints() {}

  /** Blocks forever if the crash test asked to be stopped at {@code point} of {@code epoch}. */
  public static void reached(CrashPoint point, long epoch) {
    reached(point.key(), epoch);
  }

  /**
   * Blocks forever if the crash test asked to be stopped at the point named {@code key} (a
   * connector's own, e.g. {@code icebergBeforeCommit}) of {@code epoch}.
   */
  public static void reached(String key, long epoch) {
    if (TARGET == null || !TARGET.equals(key + ":" + epoch)) {
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
