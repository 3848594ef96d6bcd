package io.beamline.benchmarks;

import static org.junit.Assert.assertEquals;

import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import io.beamline.runners.microbatch.MicroBatchRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;

/**
 * A program that has both MicroBatchRunner and Beam's FlinkRunner on its classpath (a user
 * migrating from Flink) can parse either runner's options: Beam requires every registered options
 * interface to declare a shared property ({@code parallelism}) with the same type and default.
 */
public class RunnerOptionsCoexistTest {

  @Test
  public void parallelismMeansTheSameOnBothRunners() {
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs("--runner=MicroBatchRunner", "--parallelism=3").create();
    assertEquals(MicroBatchRunner.class, options.getRunner());
    assertEquals(3, (int) options.as(MicroBatchPipelineOptions.class).getParallelism());
    assertEquals(3, (int) options.as(FlinkPipelineOptions.class).getParallelism());
  }

  /** The monitoring options (MonitoringOptions) parse next to FlinkRunner's options. */
  @Test
  public void monitoringOptionsParseWithFlinkOnTheClassPath() {
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=FlinkRunner", "--uiPort=0", "--autoTune=true", "--watermarkLagSlo=30s")
            .create();
    MicroBatchPipelineOptions mb = options.as(MicroBatchPipelineOptions.class);
    assertEquals(0, (int) mb.getUiPort());
    assertEquals(true, mb.getAutoTune());
    assertEquals("30s", mb.getWatermarkLagSlo());
    assertEquals(-1, (int) options.as(FlinkPipelineOptions.class).getParallelism());
  }

  @Test
  public void defaultsAgree() {
    PipelineOptions options = PipelineOptionsFactory.fromArgs("--runner=FlinkRunner").create();
    assertEquals(FlinkRunner.class, options.getRunner());
    assertEquals(-1, (int) options.as(MicroBatchPipelineOptions.class).getParallelism());
    assertEquals(-1, (int) options.as(FlinkPipelineOptions.class).getParallelism());
  }
}
