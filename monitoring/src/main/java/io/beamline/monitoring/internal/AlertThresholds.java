package io.beamline.monitoring.internal;

import io.beamline.monitoring.MonitoringOptions;

/**
 * The alert thresholds of a job ({@link MonitoringOptions}).
 *
 * @param processingRatio busy time over interval above which an epoch counts as overloaded
 * @param processingEpochs overloaded epochs in a row that raise {@code processingRatio}
 * @param backlogEpochs backlog, in epochs of input, above which {@code backlog} is raised
 * @param lateRows late rows per epoch above which {@code lateRows} is raised
 * @param stateGrowth growth of state rows per epoch (fraction) that counts as growing
 * @param stateGrowthEpochs growing epochs in a row that raise {@code stateGrowth}
 * @param watermarkLagMillis watermark lag above which {@code watermarkLag} is raised; -1: never
 */
public record AlertThresholds(
    double processingRatio,
    int processingEpochs,
    double backlogEpochs,
    long lateRows,
    double stateGrowth,
    int stateGrowthEpochs,
    long watermarkLagMillis) {

  /** The defaults: 0.6 x3, 10 epochs, 0 rows, 10% x10, no watermark SLO. */
  public static AlertThresholds defaults() {
    return new AlertThresholds(0.6, 3, 10, 0, 0.1, 10, -1);
  }

  /**
   * The thresholds {@code options} ask for.
   *
   * @throws IllegalArgumentException naming the option if a value is out of range
   */
  public static AlertThresholds of(MonitoringOptions options) {
    double ratio = positive(options.getAlertProcessingRatio(), "alertProcessingRatio");
    int epochs = atLeastOne(options.getAlertProcessingEpochs(), "alertProcessingEpochs");
    double backlog = positive(options.getAlertBacklogEpochs(), "alertBacklogEpochs");
    Long late = options.getAlertLateRows();
    if (late == null || late < 0) {
      throw new IllegalArgumentException(
          "--alertLateRows must be 0 or more (0 alerts on any late row), got " + late);
    }
    double growth = positive(options.getAlertStateGrowth(), "alertStateGrowth");
    int growthEpochs = atLeastOne(options.getAlertStateGrowthEpochs(), "alertStateGrowthEpochs");
    String slo = options.getWatermarkLagSlo();
    long lag = slo == null || slo.isBlank() ? -1 : Durations.parseMillis(slo, "watermarkLagSlo");
    return new AlertThresholds(ratio, epochs, backlog, late, growth, growthEpochs, lag);
  }

  private static double positive(Double value, String option) {
    if (value == null || !(value > 0) || value.isInfinite()) {
      throw new IllegalArgumentException(
          "--" + option + " must be a number above 0, got " + value);
    }
    return value;
  }

  private static int atLeastOne(Integer value, String option) {
    if (value == null || value < 1) {
      throw new IllegalArgumentException("--" + option + " must be at least 1, got " + value);
    }
    return value;
  }
}
