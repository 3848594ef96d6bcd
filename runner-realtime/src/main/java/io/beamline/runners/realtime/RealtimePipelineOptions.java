package io.beamline.runners.realtime;

import io.beamline.sdk.BeamlinePipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of {@link RealtimeRunner}. Besides Beam's standard options ({@code --streaming}, {@code
 * --jobName}, …) and those every Beamline runner shares ({@link BeamlinePipelineOptions}: {@code
 * --parallelism}, {@code --stateBackend}, {@code --enforceModel}, …) it takes:
 *
 * <ul>
 *   <li>{@code --maxBundleElements}: elements after which a task ends its bundle; default 1,000,
 *       the meaning and default of FlinkPipelineOptions' {@code maxBundleSize}. Not called {@code
 *       maxBundleSize}: Beam refuses one property declared with two different {@code @Default}s,
 *       which it would be whenever FlinkRunner is on the class path too (the examples, the
 *       benchmarks).
 *   <li>{@code --maxBundleTimeMillis}: milliseconds after which a task ends its bundle; default
 *       1,000, as FlinkPipelineOptions' {@code maxBundleTimeMills}.
 *   <li>{@code --channelCapacity}: items each queue between two tasks holds before the producer
 *       waits (backpressure); default 1,024.
 *   <li>{@code --progressInterval}: how often a {@link RealtimeProgress} is reported (a number with
 *       unit {@code ms}, {@code s} or {@code m}); default {@code 1s}. Reports go to {@code
 *       --progressFile} (JSON lines) when it is given, and to {@link
 *       RealtimePipelineResult#recentProgress()}.
 *   <li>{@code --checkpointInterval}: the least time from one checkpoint barrier to the next (a
 *       number with unit {@code ms}, {@code s} or {@code m}); default {@code 100ms}, so that
 *       exactly-once output becomes visible about a tenth of a second after it is written (Kafka
 *       Streams' default {@code commit.interval.ms} with exactly-once); {@code 0} turns
 *       checkpoints off. A run checkpoints where MicroBatchRunner would: into {@code
 *       --checkpointDir}, by default {@code ./beamline-checkpoints/<job>} when it reads an
 *       unbounded source, in MicroBatchRunner's directory format, so either runner resumes the
 *       other's checkpoint (docs/checkpoints.md).
 * </ul>
 *
 * <p>Unlike Flink, a task also ends its bundle as soon as it finds no input waiting, so at low rates
 * a record is not held back waiting for a bundle to fill: the bundle limits matter only under load.
 */
public interface RealtimePipelineOptions extends BeamlinePipelineOptions {

  @Description(
      "Elements after which a task ends its bundle (a bundle also ends when no input is waiting)."
          + " Default 1000, as Flink's maxBundleSize.")
  @Default.Long(1000)
  Long getMaxBundleElements();

  void setMaxBundleElements(Long value);

  @Description(
      "Milliseconds after which a task ends its bundle. Default 1000, as Flink's"
          + " maxBundleTimeMills.")
  @Default.Long(1000)
  Long getMaxBundleTimeMillis();

  void setMaxBundleTimeMillis(Long value);

  @Description(
      "How often progress is reported (rows in and out, latency, watermarks, queues), e.g. 500ms,"
          + " 1s (units ms, s, m). Default 1s.")
  @Default.String("1s")
  String getProgressInterval();

  void setProgressInterval(String value);

  @Description(
      "Least time from one checkpoint barrier to the next, e.g. 100ms, 1s (units ms, s, m); 0 turns"
          + " checkpoints off. Default 100ms.")
  @Default.String("100ms")
  String getCheckpointInterval();

  void setCheckpointInterval(String value);

  @Description("Items each queue between two tasks holds before its producer waits. Default 1024.")
  @Default.Integer(1024)
  Integer getChannelCapacity();

  void setChannelCapacity(Integer value);
}
