package io.beamline.monitoring;

/**
 * How big the job must be for a target rate, from its measured throughput: the sizing rule "cores
 * = target rate / (rate per core x target processing ratio), plus headroom". With the seed's
 * figures (200,000 rows/s, 50,000 rows/s per core, ratio 0.5) that is 8 cores, 10.4 with 30%
 * headroom.
 *
 * @param rowsPerSecondPerCore rows processed per second of busy time per core, over the recent
 *     epochs
 * @param cores cores the job used: its parallelism, at most the cores the JVM sees
 * @param targetRowsPerSecond the rate sized for: {@code --capacityTargetRate}, or the measured
 *     input rate
 * @param processingRatio the share of the interval processing took in the recent epochs (busy
 *     time / interval)
 * @param coresNeeded cores that process the target rate in 50% of the interval
 * @param headroom the headroom fraction ({@code --capacityHeadroom})
 * @param coresWithHeadroom {@code coresNeeded x (1 + headroom)}
 * @param epochs how many recent epochs the figures come from
 */
public record CapacityReport(
    double rowsPerSecondPerCore,
    int cores,
    double targetRowsPerSecond,
    double processingRatio,
    double coresNeeded,
    double headroom,
    double coresWithHeadroom,
    int epochs) {

  /** The processing ratio the report sizes for. */
  public static final double TARGET_RATIO = 0.5;
}
