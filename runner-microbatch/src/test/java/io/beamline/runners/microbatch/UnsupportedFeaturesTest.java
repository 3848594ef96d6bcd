package io.beamline.runners.microbatch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import io.beamline.sdk.UnsupportedTransformException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricsOptions;
import org.apache.beam.sdk.metrics.MetricsSink;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Every feature that Beam's ValidatesRunner suite is run without (see {@code
 * validates-runner-tests/exclusions/microbatch-batch.properties}) is rejected when the pipeline is
 * run, with a message that names the transform — and before any user code runs.
 */
public class UnsupportedFeaturesTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** Counts elements processed; must stay 0 for rejected pipelines. */
  static final AtomicInteger PROCESSED = new AtomicInteger();

  static final class CountFn<T> extends DoFn<T, T> {
    @ProcessElement
    public void process(@Element T element) {
      PROCESSED.incrementAndGet();
    }
  }

  /** A TestStream's synthetic clock and events cannot be checkpointed: say so before running. */
  @Test
  public void checkpointingATestStreamIsRejected() {
    MicroBatchPipelineOptions options = PipelineOptionsFactory.as(MicroBatchPipelineOptions.class);
    options.setRunner(MicroBatchRunner.class);
    options.setCheckpointDir(tmp.getRoot().getPath());
    Pipeline p = Pipeline.create(options);
    p.apply("Events", TestStream.create(VarLongCoder.of()).addElements(1L).advanceWatermarkToInfinity())
        .apply(ParDo.of(new CountFn<>()));
    PROCESSED.set(0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::run);
    assertThat(e.getMessage(), containsString("Events"));
    assertThat(e.getMessage(), containsString("--checkpointDir"));
    assertThat(PROCESSED.get(), org.hamcrest.Matchers.is(0));
  }

  @Test
  public void malformedStreamingOptionsAreRejected() {
    for (String[] bad :
        new String[][] {
          {"--batchInterval=500", "--batchInterval"},
          {"--trigger=sometimes", "--trigger"},
          {"--stateBackend=cassandra", "--stateBackend"},
          {"--maxRecordsPerBatch=0", "--maxRecordsPerBatch"}
        }) {
      MicroBatchPipelineOptions options =
          PipelineOptionsFactory.fromArgs(bad[0], "--runner=MicroBatchRunner")
              .as(MicroBatchPipelineOptions.class);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> MicroBatchRunner.fromOptions(options));
      assertThat(e.getMessage(), containsString(bad[1]));
    }
  }

  /** A MetricsSink that must never be called. */
  public static final class RecordingSink implements MetricsSink {
    @Override
    public void writeMetrics(MetricQueryResults metricQueryResults) {
      throw new AssertionError("MicroBatchRunner must reject --metricsSink, not ignore it");
    }
  }

  /** Category UsesMetricsPusher. */
  @Test
  public void metricsSinkIsRejected() {
    MetricsOptions options = PipelineOptionsFactory.as(MetricsOptions.class);
    options.setRunner(MicroBatchRunner.class);
    options.setMetricsSink(RecordingSink.class);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> MicroBatchRunner.fromOptions(options));
    assertThat(e.getMessage(), containsString("--metricsSink"));
  }
}
