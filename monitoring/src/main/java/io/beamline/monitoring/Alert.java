package io.beamline.monitoring;

/**
 * An active alert.
 *
 * @param name one of {@link #PROCESSING_RATIO}, {@link #BACKLOG}, {@link #LATE_ROWS}, {@link
 *     #STATE_GROWTH}, {@link #WATERMARK_LAG}
 * @param message what is wrong, with the figures, and what to do
 * @param sinceEpoch the epoch whose report raised it
 * @param sinceTimestamp that report's timestamp (ISO-8601 UTC)
 * @param value the figure that crossed the threshold (ratio, epochs, rows, growth fraction or
 *     seconds)
 * @param threshold the threshold it crossed, in the same unit
 */
public record Alert(
    String name,
    String message,
    long sinceEpoch,
    String sinceTimestamp,
    double value,
    double threshold) {

  /** Processing took more than {@code --alertProcessingRatio} of the interval, epochs in a row. */
  public static final String PROCESSING_RATIO = "processingRatio";

  /** The sources' backlog exceeds {@code --alertBacklogEpochs} epochs of input. */
  public static final String BACKLOG = "backlog";

  /** Rows were dropped as late in one of the last 10 epochs. */
  public static final String LATE_ROWS = "lateRows";

  /** State rows grew by more than {@code --alertStateGrowth} per epoch, epochs in a row. */
  public static final String STATE_GROWTH = "stateGrowth";

  /** The watermark lags the wall clock by more than {@code --watermarkLagSlo}. */
  public static final String WATERMARK_LAG = "watermarkLag";
}
