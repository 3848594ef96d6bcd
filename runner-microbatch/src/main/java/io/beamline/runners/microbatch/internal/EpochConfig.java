package io.beamline.runners.microbatch.internal;

import io.beamline.sdk.internal.checkpoint.CheckpointSettings;
import org.joda.time.Duration;

/**
 * How the epoch loop cuts a run into epochs (the hybrid trigger) and where it checkpoints them.
 *
 * @param batchInterval the hybrid trigger's interval: an epoch reads input for at most this long
 *     (measured from the previous epoch's deadline, so a slow epoch is followed at once by the
 *     next)
 * @param maxRecordsPerBatch the hybrid trigger's record budget per source and epoch
 * @param trigger when the run stops
 * @param checkpoint the checkpoint directory, retention and state backend (shared by the runners)
 */
public record EpochConfig(
    Duration batchInterval, long maxRecordsPerBatch, Trigger trigger, CheckpointSettings checkpoint) {

  /** When a run of epochs stops. */
  public enum Trigger {
    /** Epoch after epoch until every source is exhausted and every watermark is +∞ (default). */
    PROCESSING_TIME,
    /**
     * Reads what is available in one epoch, without a record budget, then stops. Like Spark's
     * {@code Trigger.Once}.
     */
    ONCE,
    /**
     * Reads what is available in epochs of at most {@code maxRecordsPerBatch}, stops once an epoch
     * finds nothing new. Like Spark's {@code Trigger.AvailableNow}.
     */
    AVAILABLE_NOW
  }

  /** For tests and bounded inputs: 200 ms interval, 100,000 records, no checkpoint. */
  public static EpochConfig defaults() {
    return new EpochConfig(
        Duration.millis(200), 100_000, Trigger.PROCESSING_TIME, CheckpointSettings.none());
  }
}
