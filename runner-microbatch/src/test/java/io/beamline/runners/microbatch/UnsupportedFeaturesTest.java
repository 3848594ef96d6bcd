package io.beamline.runners.microbatch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import io.beamline.sdk.UnsupportedTransformException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricsOptions;
import org.apache.beam.sdk.metrics.MetricsSink;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.Test;

/**
 * Every feature that Beam's ValidatesRunner suite is run without (see {@code
 * validates-runner-tests/exclusions/microbatch-batch.properties}) is rejected when the pipeline is
 * run, with a message that names the transform — and before any user code runs.
 */
public class UnsupportedFeaturesTest {
  /** Counts elements processed; must stay 0 for rejected pipelines. */
  static final AtomicInteger PROCESSED = new AtomicInteger();

  static final class CountFn<T> extends DoFn<T, T> {
    @ProcessElement
    public void process(@Element T element) {
      PROCESSED.incrementAndGet();
    }
  }

  private static Pipeline pipeline() {
    MicroBatchPipelineOptions options = PipelineOptionsFactory.as(MicroBatchPipelineOptions.class);
    options.setRunner(MicroBatchRunner.class);
    return Pipeline.create(options);
  }

  private static UnsupportedTransformException assertRejected(Pipeline p, String transformName) {
    PROCESSED.set(0);
    UnsupportedTransformException e = assertThrows(UnsupportedTransformException.class, p::run);
    assertThat(e.getTransformName(), containsString(transformName));
    assertThat(PROCESSED.get(), org.hamcrest.Matchers.is(0));
    return e;
  }

  /** Category UsesUnboundedPCollections. */
  @Test
  public void unboundedReadIsRejected() {
    Pipeline p = pipeline();
    p.apply("Bounded", Create.of(1L, 2L)).apply("Count bounded", ParDo.of(new CountFn<>()));
    p.apply("Unbounded ticks", GenerateSequence.from(0)).apply(ParDo.of(new CountFn<>()));
    UnsupportedTransformException e = assertRejected(p, "Unbounded ticks");
    assertThat(e.getMessage(), containsString("unbounded source"));
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
