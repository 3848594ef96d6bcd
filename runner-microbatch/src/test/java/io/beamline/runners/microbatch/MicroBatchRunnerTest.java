package io.beamline.runners.microbatch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.instanceOf;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.beamline.sdk.UnsupportedTransformException;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** End-to-end behaviour of {@link MicroBatchRunner} that Beam's ValidatesRunner suite leaves open. */
@RunWith(JUnit4.class)
public class MicroBatchRunnerTest {

  private static Pipeline pipeline(int parallelism) {
    MicroBatchPipelineOptions options = PipelineOptionsFactory.as(MicroBatchPipelineOptions.class);
    options.setRunner(MicroBatchRunner.class);
    options.setParallelism(parallelism);
    return Pipeline.create(options);
  }

  @Test
  public void runnerIsFoundByItsShortName() {
    assertEquals(
        MicroBatchRunner.class,
        PipelineOptionsFactory.fromArgs("--runner=MicroBatchRunner").create().getRunner());
    assertEquals(
        TestMicroBatchRunner.class,
        PipelineOptionsFactory.fromArgs("--runner=testmicrobatch").create().getRunner());
  }

  @Test
  public void sumPerKeyOverManyPartitions() {
    Pipeline p = pipeline(4);
    PCollection<KV<Long, Long>> sums =
        p.apply(GenerateSequence.from(0).to(10_000))
            .apply(
                MapElements.into(
                        TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                    .via(x -> KV.of(x % 10, x)))
            .apply(Sum.longsPerKey());
    PAssert.that(sums.apply(Count.globally())).containsInAnyOrder(10L);
    // key k sums k, k+10, …, k+9990: 1000 terms, 1000*k + 10*(0+…+999)
    PAssert.that(sums)
        .satisfies(
            all -> {
              for (KV<Long, Long> kv : all) {
                assertEquals(1000 * kv.getKey() + 10 * 499_500L, (long) kv.getValue());
              }
              return null;
            });
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  /** Records which task threads ran an element. */
  static final class RecordThreadFn extends DoFn<Long, Long> {
    static final Set<String> THREADS = ConcurrentHashMap.newKeySet();

    @ProcessElement
    public void process(@Element Long x, OutputReceiver<Long> out) {
      THREADS.add(Thread.currentThread().getName());
      out.output(x);
    }
  }

  @Test
  public void boundedSourceIsReadByParallelTasks() {
    RecordThreadFn.THREADS.clear();
    Pipeline p = pipeline(4);
    p.apply(GenerateSequence.from(0).to(100_000)).apply(ParDo.of(new RecordThreadFn()));
    p.run().waitUntilFinish();
    assertThat(RecordThreadFn.THREADS.size(), greaterThan(1));
  }

  /**
   * A sink's bundle on MicroBatchRunner is its part of an epoch, committed right after {@code
   * commits/N}: an at-least-once sink must flush in {@code @FinishBundle} here, so no task thread
   * may carry a {@link io.beamline.sdk.io.DeferredFlush} (only RealtimeRunner's do).
   */
  @Test
  public void sinksFlushPerBundleNoFlushIsDeferred() {
    DeferralSeenFn.SEEN.clear();
    Pipeline p = pipeline(2);
    p.apply(GenerateSequence.from(0).to(1_000)).apply(ParDo.of(new DeferralSeenFn()));
    p.run().waitUntilFinish();
    assertThat(DeferralSeenFn.SEEN, org.hamcrest.Matchers.contains(false));
  }

  static final class DeferralSeenFn extends DoFn<Long, Void> {
    static final Set<Boolean> SEEN = ConcurrentHashMap.newKeySet();

    @ProcessElement
    public void process() {}

    @FinishBundle
    public void finishBundle() {
      SEEN.add(io.beamline.sdk.io.DeferredFlush.current().isPresent());
    }
  }

  static final class CountingFn extends DoFn<Long, Long> {
    @ProcessElement
    public void process(@Element Long x) {
      Metrics.counter("test", "elements").inc();
    }
  }

  static final class FailOnSevenFn extends DoFn<Long, Long> {
    @ProcessElement
    public void process(@Element Long x) {
      if (x == 7) {
        throw new IllegalStateException("bad element 7");
      }
    }
  }

  @Test
  public void countersAreAttemptedAndCommitted() {
    Pipeline p = pipeline(3);
    p.apply(GenerateSequence.from(0).to(1_000))
        .apply("Counting", ParDo.of(new CountingFn()));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named("test", "elements"))
                    .build());
    MetricResult<Long> counter = metrics.getCounters().iterator().next();
    assertEquals(1_000L, (long) counter.getAttempted());
    assertEquals(1_000L, (long) counter.getCommitted());
    assertThat(counter.getKey().stepName(), containsString("Counting"));
  }

  @Test
  public void userCodeFailureFailsThePipelineWithItsCause() {
    Pipeline p = pipeline(2);
    p.apply(GenerateSequence.from(0).to(10)).apply(ParDo.of(new FailOnSevenFn()));
    PipelineResult result = p.run();
    Pipeline.PipelineExecutionException e =
        assertThrows(Pipeline.PipelineExecutionException.class, result::waitUntilFinish);
    assertThat(e.getCause(), instanceOf(IllegalStateException.class));
    assertThat(e.getCause().getMessage(), containsString("bad element 7"));
    assertEquals(PipelineResult.State.FAILED, result.getState());
  }

  /** Blocks every element until interrupted; signals when the first element arrived. */
  static final class BlockingFn extends DoFn<Long, Long> {
    static volatile CountDownLatch started;
    static final CountDownLatch NEVER = new CountDownLatch(1);

    @ProcessElement
    public void process(@Element Long x) throws InterruptedException {
      started.countDown();
      NEVER.await();
    }
  }

  @Test(timeout = 60_000)
  public void cancelStopsARunningPipeline() throws Exception {
    BlockingFn.started = new CountDownLatch(1);
    Pipeline p = pipeline(2);
    p.apply(GenerateSequence.from(0).to(1_000)).apply(ParDo.of(new BlockingFn()));
    PipelineResult result = p.run();
    BlockingFn.started.await();
    assertEquals(PipelineResult.State.RUNNING, result.getState());

    assertEquals(PipelineResult.State.CANCELLED, result.cancel());
    assertEquals(PipelineResult.State.CANCELLED, result.waitUntilFinish());
  }

  @Test
  public void parallelismBelowOneIsRejected() {
    MicroBatchPipelineOptions options = PipelineOptionsFactory.as(MicroBatchPipelineOptions.class);
    options.setRunner(MicroBatchRunner.class);
    options.setParallelism(0);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> MicroBatchRunner.fromOptions(options));
    assertThat(e.getMessage(), containsString("--parallelism"));
  }

  @Test
  public void aBoundedRunReportsRowsAndBytesOfItsSourcesEstimatedSize() throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("bounded-progress", ".txt");
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 5_000; i++) {
      lines.append("line ").append(i).append('\n');
    }
    java.nio.file.Files.writeString(file, lines);
    Pipeline p = pipeline(2);
    p.apply(org.apache.beam.sdk.io.TextIO.read().from(file.toString()))
        .apply(Count.globally());
    MicroBatchPipelineResult result = (MicroBatchPipelineResult) p.run();
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    var progress = result.boundedProgress();
    assertEquals(5_000, progress.rows());
    assertEquals(java.nio.file.Files.size(file), progress.estimatedBytes());
    assertEquals(progress.estimatedBytes(), progress.bytesRead());
    assertEquals(true, progress.finished());
    java.nio.file.Files.delete(file);
  }
}
