package io.beamline.runners.microbatch.internal;

import io.beamline.sdk.internal.time.ProcessingClock;

import org.apache.beam.sdk.options.PipelineOptions;

/**
 * What the epoch loop asks of every source when it plans an epoch (the hybrid trigger): read
 * whatever input is available, up to {@code maxRecords} records, waiting for more until {@code
 * deadlineNanos} at most.
 *
 * @param options the run's options, for creating readers
 * @param desiredSplits how many parallel readers a source should use (the run's parallelism)
 * @param clock the processing-time clock; a TestStream advances it
 * @param deadlineNanos {@link System#nanoTime()} until which a source may wait for input; a source
 *     with nothing to read after it ends the epoch's read
 * @param maxRecords records a source may read in this epoch, at most; {@code Long.MAX_VALUE} for
 *     no limit
 * @param waitForData false to read only what is available now and never wait ({@code
 *     --trigger=once/availableNow})
 */
public record EpochRequest(
    PipelineOptions options,
    int desiredSplits,
    ProcessingClock clock,
    long deadlineNanos,
    long maxRecords,
    boolean waitForData) {}
