package io.beamline.monitoring.internal;

import io.beamline.monitoring.CapacityReport;
import io.beamline.sdk.EpochProgress;
import java.util.ArrayDeque;
import java.util.Deque;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The capacity report from the last {@value #WINDOW} epochs with input: rate per core = rows /
 * (busy seconds x cores); cores needed = target / (rate per core x {@link
 * CapacityReport#TARGET_RATIO}); plus headroom. Pure logic.
 *
 * <p>Threading: not thread-safe; the monitor calls it on the driver thread.
 */
public final class CapacityEstimator {
  static final int WINDOW = 20;

  private record Sample(long rows, long busyMillis, long intervalMillis, double inputRate) {}

  private final int cores;
  private final @Nullable Double targetRate;
  private final double headroom;
  private final Deque<Sample> samples = new ArrayDeque<>();

  /**
   * @param cores cores the job uses
   * @param targetRate rows per second to size for, or null for the measured input rate
   * @param headroom fraction added on top of the cores needed
   */
  public CapacityEstimator(int cores, @Nullable Double targetRate, double headroom) {
    this.cores = Math.max(1, cores);
    this.targetRate = targetRate;
    this.headroom = headroom;
  }

  /** Takes an epoch's record and the interval it ran with (0 if none). */
  public void observe(EpochProgress p, long intervalMillis) {
    long busy = Epochs.busyMillis(p);
    if (p.inputRows() <= 0 || busy <= 0 || p.replayed()) {
      return;
    }
    samples.addLast(new Sample(p.inputRows(), busy, intervalMillis, p.inputRowsPerSecond()));
    if (samples.size() > WINDOW) {
      samples.removeFirst();
    }
  }

  /** The report, or null before an epoch with input. */
  public @Nullable CapacityReport report() {
    long rows = 0;
    long busy = 0;
    long interval = 0;
    double inputRate = 0;
    int rated = 0;
    for (Sample s : samples) {
      rows += s.rows();
      busy += s.busyMillis();
      interval += s.intervalMillis();
      if (s.inputRate() > 0) {
        inputRate += s.inputRate();
        rated++;
      }
    }
    if (rows == 0 || busy == 0) {
      return null;
    }
    double perCore = rows / (busy / 1000.0) / cores;
    double target = targetRate != null ? targetRate : rated == 0 ? 0 : inputRate / rated;
    double needed = target / (perCore * CapacityReport.TARGET_RATIO);
    return new CapacityReport(
        perCore,
        cores,
        target,
        interval == 0 ? Double.NaN : busy / (double) interval,
        needed,
        headroom,
        needed * (1 + headroom),
        samples.size());
  }
}
