package io.beamline.runners.microbatch.internal;

import java.nio.file.Path;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * How an {@link EpochExecutor} cuts a run into epochs and where it checkpoints them.
 *
 * @param batchInterval the hybrid trigger's interval: an epoch reads input for at most this long
 *     (measured from the previous epoch's deadline, so a slow epoch is followed at once by the
 *     next)
 * @param maxRecordsPerBatch the hybrid trigger's record budget per source and epoch
 * @param trigger when the run stops
 * @param checkpointDir the checkpoint directory, or null for a run that is not checkpointed
 * @param minEpochsToRetain committed epochs whose offsets, commits and state are kept
 * @param replayUncommittedEpoch false only in tests showing what replay protects against: on
 *     restart an epoch whose offsets are logged but which is not committed is skipped, not replayed
 * @param stateBackend where keyed state cells live
 */
public record EpochConfig(
    Duration batchInterval,
    long maxRecordsPerBatch,
    Trigger trigger,
    @Nullable Path checkpointDir,
    int minEpochsToRetain,
    boolean replayUncommittedEpoch,
    StateBackend stateBackend) {

  /** Where keyed state cells live. */
  public enum StateBackend {
    /** runners-core's in-memory state; snapshots encode every cell (default). */
    HEAP,
    /**
     * RocksDB on local disk (a temporary directory per run), so state may exceed the heap;
     * snapshots are RocksDB checkpoints (hard links of its SST files). Timers stay on the heap.
     */
    ROCKSDB
  }

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
        Duration.millis(200), 100_000, Trigger.PROCESSING_TIME, null, 100, true, StateBackend.HEAP);
  }
}
