package io.beamline.sdk.internal.checkpoint;

import io.beamline.sdk.BeamlinePipelineOptions;

import static org.junit.Assert.assertEquals;

import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;

/** The default checkpoint directory is stable across runs of the same job. */
public class CheckpointSettingsTest {
  @Test
  public void defaultDirectoryIsTheAppNameUnlessAJobNameIsGiven() {
    BeamlinePipelineOptions generated =
        PipelineOptionsFactory.fromArgs("--appName=FlightJob").as(BeamlinePipelineOptions.class);
    BeamlinePipelineOptions again =
        PipelineOptionsFactory.fromArgs("--appName=FlightJob").as(BeamlinePipelineOptions.class);
    assertEquals("FlightJob", CheckpointSettings.defaultDirectoryName(generated));
    assertEquals(
        CheckpointSettings.defaultDirectoryName(generated), CheckpointSettings.defaultDirectoryName(again));

    BeamlinePipelineOptions named =
        PipelineOptionsFactory.fromArgs("--appName=FlightJob", "--jobName=flights-prod")
            .as(BeamlinePipelineOptions.class);
    assertEquals("flights-prod", CheckpointSettings.defaultDirectoryName(named));
  }
}
