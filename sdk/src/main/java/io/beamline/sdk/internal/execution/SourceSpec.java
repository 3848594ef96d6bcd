package io.beamline.sdk.internal.execution;

import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The root of a stage that reads from outside the pipeline (Impulse, a bounded source). The input
 * is cut into splits at the start of an execution; each task reads the splits assigned to it.
 */
public interface SourceSpec {

  /** Full name of the Beam transform this source executes. */
  String stepName();

  /**
   * Cuts the input into splits, ideally about {@code desiredSplits} of them.
   *
   * @throws Exception if the source cannot be split or sized
   */
  List<?> split(PipelineOptions options, int desiredSplits) throws Exception;

  /** Reads one split, emitting every element to {@code output}. */
  void read(Object split, TaskContext context, Operator.Receiver output) throws Exception;

  /** True for a source that may never end (an {@code UnboundedSource}). */
  default boolean isUnbounded() {
    return false;
  }

  /** False for a source whose position cannot be checkpointed (a TestStream). */
  default boolean isCheckpointable() {
    return true;
  }

  /**
   * This source for a streaming run; by default the whole (bounded) input in the first epoch.
   */
  default EpochSource forEpochs(PlanExecutor executor) {
    return EpochSource.readOnce(executor, this);
  }
}
