package io.beamline.runners.realtime;

import com.google.auto.service.AutoService;
import com.google.common.collect.ImmutableList;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;
import org.apache.beam.sdk.runners.PipelineRunnerRegistrar;

/**
 * Registers {@link RealtimeRunner} and {@link TestRealtimeRunner} with Beam, so that {@code
 * --runner=RealtimeRunner} (or {@code Realtime}, case-insensitive) works from any {@code main} that
 * has this module on its classpath, and {@link RealtimePipelineOptions} so that its options parse.
 */
public final class RealtimeRunnerRegistrar {
  private RealtimeRunnerRegistrar() {}

  /** The runners. */
  @AutoService(PipelineRunnerRegistrar.class)
  public static final class Runner implements PipelineRunnerRegistrar {
    @Override
    public Iterable<Class<? extends PipelineRunner<?>>> getPipelineRunners() {
      return ImmutableList.of(RealtimeRunner.class, TestRealtimeRunner.class);
    }
  }

  /** The options. */
  @AutoService(PipelineOptionsRegistrar.class)
  public static final class Options implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return ImmutableList.of(RealtimePipelineOptions.class);
    }
  }
}
