package io.beamline.sdk;

import java.util.Map;

/**
 * What one epoch of a streaming run did, after Spark's {@code StreamingQueryProgress}. Written as
 * one JSON line per epoch to the progress file and kept by the pipeline result.
 *
 * @param runId id of the run, stable across restarts on the same checkpoint directory (empty when
 *     the run is not checkpointed)
 * @param epoch epoch number, from 0, continuing across restarts
 * @param timestamp start of the epoch, ISO-8601 UTC
 * @param replayed true if the epoch replayed logged offsets after a restart
 * @param inputRows records read from sources in this epoch
 * @param inputRowsPerSecond input rows over the time since the previous epoch started
 * @param processedRowsPerSecond input rows over this epoch's duration
 * @param durationMs milliseconds per phase: {@code planOffsets} (reading the sources up to the
 *     trigger), {@code offsetLog} (writing {@code offsets/N}), {@code process} (all stages),
 *     {@code stateSnapshot}, {@code commit} (writing {@code commits/N}, finalizing source marks,
 *     retention) and {@code total}
 * @param watermark the lowest output watermark of any stage after the epoch, ISO-8601 (or
 *     {@code -inf}/{@code +inf})
 * @param stateKeys keys with state or timers, over all keyed stages and partitions
 * @param stateCells non-empty state cells
 * @param stateBytes bytes of heap state this epoch's checkpoint wrote: a delta of the keys it used,
 *     or the whole state as a new base (0 when not checkpointed)
 * @param lateRowsDropped elements dropped as late in this epoch (Beam's {@code
 *     droppedDueToLateness} and {@code StatefulParDoDropped} counters)
 * @param backlogBytes bytes the sources report as not yet read, -1 if a source does not know
 */
public record EpochProgress(
    String runId,
    long epoch,
    String timestamp,
    boolean replayed,
    long inputRows,
    double inputRowsPerSecond,
    double processedRowsPerSecond,
    Map<String, Long> durationMs,
    String watermark,
    long stateKeys,
    long stateCells,
    long stateBytes,
    long lateRowsDropped,
    long backlogBytes) {}
