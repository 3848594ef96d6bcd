package io.beamline.runners.realtime;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What a real-time run did in one progress interval ({@code --progressInterval}, default 1 s).
 * Written as one JSON line per interval to {@code --progressFile} (when given) and kept by {@link
 * RealtimePipelineResult#recentProgress()}.
 *
 * @param interval interval number, from 0
 * @param timestamp end of the interval, ISO-8601 UTC
 * @param inputRows records the source stages emitted in the interval (a read that Beam expands into
 *     a splittable DoFn, such as a bounded read of an unbounded source, emits from the stage that
 *     runs the DoFn; its source stage is an Impulse)
 * @param outputRows elements the last stages (those feeding no exchange: sinks and their fused
 *     steps) finished in the interval
 * @param inputRowsPerSecond {@code inputRows} over the interval's length
 * @param latencyP50Ms median end-to-end latency in milliseconds of the interval's output rows: when
 *     the last stage finished the element minus the element's timestamp (for Kafka, the record's
 *     timestamp); only elements whose timestamp lies within the last hour count; -1 without any
 * @param latencyP99Ms the 99th percentile, as {@code latencyP50Ms}
 * @param watermark the lowest output watermark of any stage, ISO-8601 (or {@code -inf}/{@code
 *     +inf})
 * @param stages per stage, in plan order
 * @param checkpoint the last checkpoint completed by the end of the interval, or null (none yet,
 *     or a run without checkpoints)
 */
public record RealtimeProgress(
    long interval,
    String timestamp,
    long inputRows,
    long outputRows,
    double inputRowsPerSecond,
    long latencyP50Ms,
    long latencyP99Ms,
    String watermark,
    List<Stage> stages,
    @Nullable Checkpoint checkpoint) {

  /**
   * A completed barrier checkpoint (see docs/checkpoints.md).
   *
   * @param epoch its epoch number
   * @param checkpoints checkpoints the run completed so far
   * @param alignmentMs from injecting its barrier until every task had acked it
   * @param writeMs writing its state and {@code commits/N} (after {@code offsets/N})
   * @param stateBytes heap state it wrote (a base or a delta)
   * @param delta whether that state is a delta of the keys used since the last checkpoint
   * @param rocksDbSnapshotMs of {@code writeMs}, the RocksDB checkpoint (memtables flushed, SST
   *     files hard-linked into {@code state/N/rocksdb}); null without RocksDB state
   * @param rocksDbBytes RocksDB's approximate size (SST files and memtables) after it; null without
   *     RocksDB state
   */
  public record Checkpoint(
      long epoch,
      long checkpoints,
      long alignmentMs,
      long writeMs,
      long stateBytes,
      boolean delta,
      @Nullable Long rocksDbSnapshotMs,
      @Nullable Long rocksDbBytes) {}

  /**
   * One stage in one interval.
   *
   * @param name the stage's name (its root step)
   * @param elements elements its tasks were given in the interval
   * @param watermark its output watermark, ISO-8601 (or {@code -inf}/{@code +inf})
   * @param queued items waiting in its input channels at the end of the interval
   * @param queueCapacity items its input channels hold in all
   * @param backpressureMs milliseconds its producers waited in the interval because its input
   *     channels were full
   */
  public record Stage(
      String name,
      long elements,
      String watermark,
      long queued,
      long queueCapacity,
      long backpressureMs) {}
}
