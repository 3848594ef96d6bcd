package io.beamline.runners.realtime;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Test;

/** Pipelines on {@link TestRealtimeRunner}, batch and streaming. */
public class RealtimeRunnerTest {

  private static Pipeline pipeline(boolean streaming) {
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=TestRealtimeRunner", "--streaming=" + streaming, "--parallelism=2")
            .create();
    return Pipeline.create(options);
  }

  @Test
  public void combineGloballyWithDefault() {
    for (boolean streaming : new boolean[] {false, true}) {
      Pipeline p = pipeline(streaming);
      PCollection<Integer> sum = p.apply(Create.of(1, 2, 3, 4)).apply(Sum.integersGlobally());
      PAssert.thatSingleton(sum).isEqualTo(10);
      p.run();
    }
  }
}
