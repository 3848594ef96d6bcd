package io.beamline.monitoring;

/**
 * The hybrid trigger's settings for the next epochs.
 *
 * @param batchIntervalMillis the interval, in milliseconds, at least 1
 * @param maxRecordsPerEpoch the records-per-epoch cap (per source, as {@code
 *     --maxRecordsPerBatch}), at least 1
 */
public record EpochTuning(long batchIntervalMillis, long maxRecordsPerEpoch) {
  public EpochTuning {
    if (batchIntervalMillis < 1 || maxRecordsPerEpoch < 1) {
      throw new IllegalArgumentException(
          "interval and cap must be at least 1, got " + batchIntervalMillis + " ms and "
              + maxRecordsPerEpoch + " records");
    }
  }
}
