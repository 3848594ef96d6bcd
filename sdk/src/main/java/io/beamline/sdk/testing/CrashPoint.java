package io.beamline.sdk.testing;

import io.beamline.sdk.EpochPhase;

/**
 * The named points of the epoch protocol at which a crash test stops a runner's JVM to SIGKILL it
 * ({@link CrashPoints}), each within the {@link EpochPhase} it belongs to. {@link #key()} is the
 * name the system property {@code beamline.crashPoint=<key>:<epoch>} uses.
 */
public enum CrashPoint {
  /**
   * RealtimeRunner: barrier N injected into every source task, nothing of checkpoint N written yet
   * (records of epoch N+1 flowing behind it).
   */
  BARRIER_INJECTED(EpochPhase.OFFSET_LOG),
  /** Half of {@code offsets/N} written to its temporary file. */
  MID_OFFSETS(EpochPhase.OFFSET_LOG),
  /** {@code offsets/N} durable, nothing of epoch N processed. */
  AFTER_OFFSETS(EpochPhase.OFFSET_LOG),
  /** Half of the state snapshot of epoch N written to its temporary file. */
  MID_SNAPSHOT(EpochPhase.STATE_SNAPSHOT),
  /** The snapshot durable, {@code commits/N} not written. */
  BEFORE_COMMIT(EpochPhase.COMMIT),
  /** A sink's output of epoch N produced and flushed, its transaction not committed. */
  SINK_BEFORE_COMMIT(EpochPhase.SINK_COMMIT),
  /** A sink's transaction of epoch N committed, {@code commits/N} not written. */
  SINK_AFTER_COMMIT(EpochPhase.SINK_COMMIT);

  private final EpochPhase phase;

  CrashPoint(EpochPhase phase) {
    this.phase = phase;
  }

  /** The phase this point is in. */
  public EpochPhase phase() {
    return phase;
  }

  /** The point's name in {@code beamline.crashPoint}, e.g. {@code midOffsets}. */
  public String key() {
    String[] words = name().toLowerCase(java.util.Locale.ROOT).split("_");
    StringBuilder key = new StringBuilder(words[0]);
    for (int i = 1; i < words.length; i++) {
      key.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
    }
    return key.toString();
  }
}
