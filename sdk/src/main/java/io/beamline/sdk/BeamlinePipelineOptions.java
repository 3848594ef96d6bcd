package io.beamline.sdk;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Hidden;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Options shared by every Beamline runner: parallelism, the checkpoint directory and its
 * retention, the state backend, the progress file and model checks. Runner-specific option
 * interfaces ({@code MicroBatchPipelineOptions}, {@code RealtimePipelineOptions}) extend this one,
 * so each of these means the same thing on every runner, and a checkpoint written by one runner is
 * found by the other with the same options.
 *
 * <p>Properties other runners also declare are declared exactly as they do: {@code parallelism}
 * as in Beam's {@code FlinkPipelineOptions} (type {@code Integer}, default {@code -1}) and {@code
 * stateBackend} without a default, as there too. Beam requires every options interface loaded in
 * one JVM to agree on a property's type and default, so a different declaration would break any
 * program that has both runners on its classpath.
 */
public interface BeamlinePipelineOptions extends PipelineOptions {

  /**
   * Number of parallel tasks per stage, and the number of partitions of every shuffle. Default
   * {@code -1}: the number of cores the JVM sees ({@link Runtime#availableProcessors()}). Any other
   * value must be at least 1; see {@link Parallelism#of}.
   */
  @Description(
      "Number of parallel tasks per stage and partitions per shuffle; -1 (default) means the"
          + " number of cores.")
  @Default.Integer(-1)
  Integer getParallelism();

  void setParallelism(Integer parallelism);

  /**
   * The checkpoint directory (offset log, commit log, state snapshots; one format for every
   * Beamline runner). Default: {@code ./beamline-checkpoints/<jobName>} (or the application name
   * when {@code --jobName} is not given) for pipelines that read an unbounded source; none for
   * pipelines whose sources all end.
   */
  @Description(
      "Checkpoint directory (offset log, commit log, state snapshots). Default:"
          + " ./beamline-checkpoints/<jobName> when the pipeline reads an unbounded source.")
  String getCheckpointDir();

  void setCheckpointDir(String value);

  /** Committed epochs whose offsets, commits and state are kept; default 100, at least 1. */
  @Description("Committed epochs whose offsets, commits and state are kept.")
  @Default.Integer(100)
  Integer getMinEpochsToRetain();

  void setMinEpochsToRetain(Integer value);

  /**
   * Where one JSON line of progress per epoch (per interval on a continuous runner) is appended.
   * Default: {@code progress.jsonl} in the checkpoint directory.
   */
  @Description(
      "File to which one JSON line of progress per epoch is appended. Default: progress.jsonl in"
          + " the checkpoint directory.")
  String getProgressFile();

  void setProgressFile(String value);

  /**
   * Where keyed state lives in streaming runs: {@code heap} or {@code rocksdb}. Declared without
   * {@code @Default}, exactly like FlinkPipelineOptions' {@code stateBackend}, so that both
   * runners' options can share a JVM; null means {@code heap}.
   */
  @Description("State backend for keyed state in streaming runs: heap (default) or rocksdb.")
  String getStateBackend();

  void setStateBackend(String value);

  /**
   * Whether to check that the pipeline keeps Beam's model, as Beam's DirectRunner does: every
   * element encodable and decodable with its coder, no element mutated after it was output, no
   * ParDo input mutated. Each check fails the run naming the step. The checks encode every element,
   * so they cost throughput. Default (null): on in the test runners, off otherwise.
   */
  @Description(
      "Check that every element is encodable with its coder and never mutated after output or as"
          + " a ParDo input (fails naming the step). Default: on in test runners, off otherwise.")
  Boolean getEnforceModel();

  void setEnforceModel(Boolean value);

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
          + " working directory). The test runners set a fresh temporary directory per run, so"
          + " that a test never resumes another run's checkpoint.")
  String getDefaultCheckpointParent();

  void setDefaultCheckpointParent(String value);
}
