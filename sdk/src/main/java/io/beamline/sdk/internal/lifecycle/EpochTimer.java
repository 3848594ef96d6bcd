package io.beamline.sdk.internal.lifecycle;

import io.beamline.sdk.EpochPhase;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Walks one epoch through its {@link EpochPhase}s, checking each change is legal, and measures how
 * long each phase took for the progress report.
 *
 * <p>Threading: used by the thread that drives the epoch.
 */
public final class EpochTimer {
  private static final Logger LOG = LoggerFactory.getLogger(EpochTimer.class);

  private final long epoch;
  private final long startNanos = System.nanoTime();
  private final Map<EpochPhase, Long> nanos = new EnumMap<>(EpochPhase.class);
  private EpochPhase phase = EpochPhase.PLAN_OFFSETS;
  private long phaseStart = startNanos;

  /** Starts epoch {@code epoch} in {@link EpochPhase#PLAN_OFFSETS}. */
  public EpochTimer(long epoch) {
    this.epoch = epoch;
  }

  public EpochPhase phase() {
    return phase;
  }

  public long startNanos() {
    return startNanos;
  }

  /**
   * Ends the current phase and enters {@code next}.
   *
   * @throws IllegalStateException if {@code next} may not follow the current phase
   */
  public void enter(EpochPhase next) {
    if (!phase.successors().contains(next)) {
      throw new IllegalStateException(
          "Epoch " + epoch + " cannot go from " + phase + " to " + next);
    }
    long now = System.nanoTime();
    nanos.merge(phase, now - phaseStart, Long::sum);
    LOG.trace("Epoch {}: {} -> {}", epoch, phase, next);
    phase = next;
    phaseStart = now;
  }

  /** Records time spent in {@code phase} measured elsewhere (e.g. sinks' commits). */
  public void add(EpochPhase phase, long phaseNanos) {
    nanos.merge(phase, phaseNanos, Long::sum);
  }

  /**
   * Ends the epoch (in {@link EpochPhase#COMMIT}) and returns the milliseconds of each phase, keyed
   * by {@link EpochPhase#key()} in phase order, plus {@code total}.
   *
   * @throws IllegalStateException if the epoch is not in its last phase
   */
  public Map<String, Long> finish() {
    if (phase != EpochPhase.COMMIT) {
      throw new IllegalStateException("Epoch " + epoch + " ends in " + phase + ", not COMMIT");
    }
    long end = System.nanoTime();
    nanos.merge(phase, end - phaseStart, Long::sum);
    Map<String, Long> durations = new LinkedHashMap<>();
    for (EpochPhase p : EpochPhase.values()) {
      durations.put(p.key(), TimeUnit.NANOSECONDS.toMillis(nanos.getOrDefault(p, 0L)));
    }
    durations.put("total", TimeUnit.NANOSECONDS.toMillis(end - startNanos));
    return durations;
  }

  /** Nanoseconds since the epoch started. */
  public long elapsedNanos() {
    return System.nanoTime() - startNanos;
  }
}
