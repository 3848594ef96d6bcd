package io.beamline.sdk;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Options shared by every Beamline runner.
 *
 * <p>Runner-specific option interfaces ({@code MicroBatchPipelineOptions}, …) extend this one, so
 * {@code --parallelism} means the same thing on each runner.
 */
public interface BeamlinePipelineOptions extends PipelineOptions {

  /**
   * Number of parallel tasks per stage, and the number of partitions of every shuffle. Default:
   * the number of cores the JVM sees ({@link Runtime#availableProcessors()}). Must be at least 1.
   */
  @Description(
      "Number of parallel tasks per stage and partitions per shuffle (default: number of cores).")
  @Default.InstanceFactory(AvailableCoresFactory.class)
  int getParallelism();

  void setParallelism(int parallelism);

  /** Default for {@link #getParallelism()}: the number of cores available to the JVM. */
  class AvailableCoresFactory implements DefaultValueFactory<Integer> {
    @Override
    public Integer create(PipelineOptions options) {
      return Runtime.getRuntime().availableProcessors();
    }
  }
}
