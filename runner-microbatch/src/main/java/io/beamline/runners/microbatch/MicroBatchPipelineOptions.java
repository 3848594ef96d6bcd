package io.beamline.runners.microbatch;

import io.beamline.monitoring.MonitoringOptions;
import io.beamline.sdk.BeamlinePipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Hidden;

/**
 * Options of {@link MicroBatchRunner}. Besides Beam's standard options ({@code --streaming}, {@code
 * --jobName}, …) it takes:
 *
 * <ul>
 *   <li>{@code --parallelism} (from {@link BeamlinePipelineOptions}): tasks per stage and shuffle
 *       partitions; default {@code -1}, the number of cores.
 *   <li>{@code --batchInterval}: the hybrid trigger's interval, a number with unit {@code ms},
 *       {@code s} or {@code m} (e.g. {@code 500ms}, {@code 5s}); default {@code 200ms}.
 *   <li>{@code --maxRecordsPerBatch}: the hybrid trigger's record budget per source and epoch;
 *       default 100,000.
 *   <li>{@code --trigger}: {@code processingTime} (default: epochs until the sources end), {@code
 *       once} or {@code availableNow} (read what is there, then stop), as Spark's triggers.
 *   <li>{@code --checkpointDir}: the checkpoint directory; default {@code
 *       ./beamline-checkpoints/<jobName>} for pipelines that read an unbounded source, none for
 *       pipelines whose sources all end (bounded reads, TestStream).
 *   <li>{@code --minEpochsToRetain}: committed epochs kept in the checkpoint directory; default
 *       100 (Spark's {@code minBatchesToRetain}).
 *   <li>{@code --progressFile}: where per-epoch progress is appended as JSON lines; default {@code
 *       progress.jsonl} in the checkpoint directory.
 *   <li>the monitoring options of {@link MonitoringOptions}: {@code --uiPort}, {@code --uiHost},
 *       the alert thresholds, {@code --watermarkLagSlo}, {@code --autoTune} (docs/ui.md).
 * </ul>
 */
public interface MicroBatchPipelineOptions extends BeamlinePipelineOptions, MonitoringOptions {

  @Description(
      "Hybrid trigger: an epoch reads input for at most this long, e.g. 100ms, 1s, 5s (units ms, s,"
          + " m).")
  @Default.String("200ms")
  String getBatchInterval();

  void setBatchInterval(String value);

  @Description("Hybrid trigger: at most this many records per source and epoch.")
  @Default.Long(100_000)
  Long getMaxRecordsPerBatch();

  void setMaxRecordsPerBatch(Long value);

  @Description(
      "processingTime (default; epochs until the sources end), once or availableNow (process what"
          + " is available, then stop).")
  @Default.String("processingTime")
  String getTrigger();

  void setTrigger(String value);

  @Description(
      "Checkpoint directory (offset log, commit log, state snapshots). Default:"
          + " ./beamline-checkpoints/<jobName> when the pipeline reads an unbounded source.")
  String getCheckpointDir();

  void setCheckpointDir(String value);

  @Description("Committed epochs whose offsets, commits and state are kept.")
  @Default.Integer(100)
  Integer getMinEpochsToRetain();

  void setMinEpochsToRetain(Integer value);

  @Description(
      "File to which one JSON line of progress per epoch is appended. Default: progress.jsonl in"
          + " the checkpoint directory.")
  String getProgressFile();

  void setProgressFile(String value);

  /**
   * Declared without {@code @Default}, exactly like FlinkPipelineOptions' {@code stateBackend}, so
   * that both runners' options can share a JVM (Beam rejects two declarations of one property with
   * different defaults); null means {@code heap}.
   */
  @Description("State backend for keyed state in streaming runs: heap (default) or rocksdb.")
  String getStateBackend();

  void setStateBackend(String value);

  @Hidden
  @Description(
      "Testing only: false skips, instead of replaying, an epoch logged but not committed before a"
          + " crash; its input is then lost.")
  @Default.Boolean(true)
  Boolean getReplayUncommittedEpoch();

  void setReplayUncommittedEpoch(Boolean value);

  @Hidden
  @Description(
      "Where default checkpoint directories are created (default: beamline-checkpoints under the"
          + " working directory). TestMicroBatchRunner sets a fresh temporary directory per run,"
          + " so that a test never resumes another run's checkpoint.")
  String getDefaultCheckpointParent();

  void setDefaultCheckpointParent(String value);
}
