package io.beamline.sdk;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The phases of one epoch, in the order of the checkpoint protocol shared by the Beamline runners:
 *
 * <pre>
 *   PLAN_OFFSETS ──► OFFSET_LOG ──► PROCESS ──► STATE_SNAPSHOT ──► COMMIT ──► (next epoch) PLAN_OFFSETS
 *                                     └─ SINK_COMMIT (inside PROCESS: sinks committing per epoch)
 * </pre>
 *
 * Each phase's name ({@link #key()}) is its key in the {@code durationMs} of {@link EpochProgress}
 * and in logs; crash points ({@code io.beamline.sdk.testing.CrashPoints}) are named after the
 * moment of a phase at which they stop the JVM.
 */
public enum EpochPhase {
  /** Reading the sources up to the trigger: what the epoch will process. */
  PLAN_OFFSETS,
  /** Writing {@code offsets/N}, durable before anything of the epoch is processed. */
  OFFSET_LOG,
  /** Running every stage over the epoch's input. */
  PROCESS,
  /** Time sinks spent pre-committing and committing their output of the epoch (within PROCESS). */
  SINK_COMMIT,
  /** Writing the state of the epoch. */
  STATE_SNAPSHOT,
  /** Writing {@code commits/N}, finalizing source marks, retention. */
  COMMIT;

  /** The phase's name in progress JSON and logs, e.g. {@code planOffsets}. */
  public String key() {
    String[] words = name().toLowerCase(Locale.ROOT).split("_");
    StringBuilder key = new StringBuilder(words[0]);
    for (int i = 1; i < words.length; i++) {
      key.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
    }
    return key.toString();
  }

  /** The phases that may follow this one in a run (SINK_COMMIT is measured, never entered). */
  public Set<EpochPhase> successors() {
    switch (this) {
      case PLAN_OFFSETS:
        return EnumSet.of(OFFSET_LOG);
      case OFFSET_LOG:
        return EnumSet.of(PROCESS);
      case PROCESS:
        return EnumSet.of(STATE_SNAPSHOT);
      case STATE_SNAPSHOT:
        return EnumSet.of(COMMIT);
      case COMMIT:
        return EnumSet.of(PLAN_OFFSETS);
      default:
        return EnumSet.noneOf(EpochPhase.class);
    }
  }
}
