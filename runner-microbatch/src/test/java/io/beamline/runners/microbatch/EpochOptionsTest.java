package io.beamline.runners.microbatch;

import io.beamline.runners.microbatch.internal.EpochOptions;

import static org.junit.Assert.assertEquals;

import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;

/** The default checkpoint directory is stable across runs of the same job. */
public class EpochOptionsTest {
  @Test
  public void defaultDirectoryIsTheAppNameUnlessAJobNameIsGiven() {
    MicroBatchPipelineOptions generated =
        PipelineOptionsFactory.fromArgs("--appName=FlightJob").as(MicroBatchPipelineOptions.class);
    MicroBatchPipelineOptions again =
        PipelineOptionsFactory.fromArgs("--appName=FlightJob").as(MicroBatchPipelineOptions.class);
    assertEquals("FlightJob", EpochOptions.defaultDirectoryName(generated));
    assertEquals(
        EpochOptions.defaultDirectoryName(generated), EpochOptions.defaultDirectoryName(again));

    MicroBatchPipelineOptions named =
        PipelineOptionsFactory.fromArgs("--appName=FlightJob", "--jobName=flights-prod")
            .as(MicroBatchPipelineOptions.class);
    assertEquals("flights-prod", EpochOptions.defaultDirectoryName(named));
  }
}
