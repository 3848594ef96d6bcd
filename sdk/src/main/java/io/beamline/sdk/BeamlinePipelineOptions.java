package io.beamline.sdk;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Options shared by every Beamline runner.
 *
 * <p>Runner-specific option interfaces ({@code MicroBatchPipelineOptions}, …) extend this one, so
 * {@code --parallelism} means the same thing on each runner.
 *
 * <p>{@code parallelism} is declared exactly as in Beam's {@code FlinkPipelineOptions} (type {@code
 * Integer}, default {@code -1}): Beam requires every options interface loaded in one JVM to agree
 * on a property's type and default, so a different declaration would break any program that has
 * both runners on its classpath.
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
   * Whether to check that the pipeline keeps Beam's model, as Beam's DirectRunner does: every
   * element encodable and decodable with its coder, no element mutated after it was output, no
   * ParDo input mutated. Each check fails the run naming the step. The checks encode every element,
   * so they cost throughput. Default (null): on in the test runners ({@code
   * TestMicroBatchRunner}), off otherwise.
   */
  @Description(
      "Check that every element is encodable with its coder and never mutated after output or as"
          + " a ParDo input (fails naming the step). Default: on in test runners, off otherwise.")
  Boolean getEnforceModel();

  void setEnforceModel(Boolean value);
}
