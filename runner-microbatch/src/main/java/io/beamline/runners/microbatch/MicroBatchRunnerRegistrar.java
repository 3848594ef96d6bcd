package io.beamline.runners.microbatch;

import com.google.auto.service.AutoService;
import com.google.common.collect.ImmutableList;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;
import org.apache.beam.sdk.runners.PipelineRunnerRegistrar;

/**
 * Registers {@link MicroBatchRunner} and {@link TestMicroBatchRunner} with Beam, so that {@code
 * --runner=MicroBatchRunner} (or {@code MicroBatch}, case-insensitive) works from any {@code main}
 * that has this module on its classpath, and {@link MicroBatchPipelineOptions} so that its options
 * parse.
 */
public final class MicroBatchRunnerRegistrar {
  private MicroBatchRunnerRegistrar() {}

  /** The runners. */
  @AutoService(PipelineRunnerRegistrar.class)
  public static final class Runner implements PipelineRunnerRegistrar {
    @Override
    public Iterable<Class<? extends PipelineRunner<?>>> getPipelineRunners() {
      return ImmutableList.of(MicroBatchRunner.class, TestMicroBatchRunner.class);
    }
  }

  /** The options. */
  @AutoService(PipelineOptionsRegistrar.class)
  public static final class Options implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return ImmutableList.of(MicroBatchPipelineOptions.class);
    }
  }
}
