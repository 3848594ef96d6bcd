package io.beamline.runners.realtime;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.Assert.assertThrows;

import io.beamline.sdk.UnsupportedTransformException;
import io.beamline.sdk.io.EpochTransactional;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Pipelines, options and progress reports of {@link RealtimeRunner}. */
public class RealtimeRunnerTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static Pipeline pipeline(String... args) {
    PipelineOptions options = PipelineOptionsFactory.fromArgs(args).create();
    return Pipeline.create(options);
  }

  @Test
  public void combineGloballyWithDefaultInBothModes() {
    for (boolean streaming : new boolean[] {false, true}) {
      Pipeline p =
          pipeline("--runner=TestRealtimeRunner", "--streaming=" + streaming, "--parallelism=2");
      PCollection<Integer> sum = p.apply(Create.of(1, 2, 3, 4)).apply(Sum.integersGlobally());
      PAssert.thatSingleton(sum).isEqualTo(10);
      p.run();
    }
  }

  @Test
  public void progressReportsRowsLatencyAndStages() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("progress.jsonl");
    Pipeline p =
        pipeline(
            "--runner=RealtimeRunner",
            "--parallelism=2",
            "--progressInterval=100ms",
            "--progressFile=" + file);
    long elements = 3000;
    // unbounded, timestamped when generated: latencies are measurable
    p.apply(GenerateSequence.from(0).to(elements).withRate(10_000, Duration.standardSeconds(1)))
        .apply(WithKeys.of((Long n) -> n % 10).withKeyType(TypeDescriptors.longs()))
        .apply(ParDo.of(new CountingSink()));
    RealtimePipelineResult result = (RealtimePipelineResult) p.run();
    assertThat(result.waitUntilFinish(Duration.standardMinutes(1)), equalTo(PipelineResult.State.DONE));
    List<RealtimeProgress> reports = result.recentProgress();
    assertThat(reports.size(), greaterThan(1));
    long in = 0;
    long out = 0;
    long withLatency = 0;
    long intoSink = 0;
    for (RealtimeProgress report : reports) {
      in += report.inputRows();
      out += report.outputRows();
      withLatency += report.latencyP50Ms() >= 0 ? 1 : 0;
      RealtimeProgress.Stage sink = report.stages().get(report.stages().size() - 1);
      assertThat(sink.name(), containsString("CountingSink"));
      intoSink += sink.elements();
    }
    assertThat(in, greaterThanOrEqualTo(1L)); // the read runs as a splittable DoFn behind an Impulse
    assertThat(out, equalTo(elements));
    assertThat(intoSink, equalTo(elements));
    assertThat(withLatency, greaterThanOrEqualTo(1L));
    RealtimeProgress last = result.lastProgress();
    assertThat(last.watermark(), equalTo("+inf"));
    assertThat(Files.readAllLines(file).size(), equalTo(reports.size()));
  }

  @Test
  public void rejectsBadOptionsWithOneLine() {
    IllegalArgumentException size =
        assertThrows(
            IllegalArgumentException.class,
            () -> pipeline("--runner=RealtimeRunner", "--maxBundleElements=0").run());
    assertThat(size.getMessage(), containsString("--maxBundleElements must be at least 1"));
    IllegalArgumentException interval =
        assertThrows(
            IllegalArgumentException.class,
            () -> pipeline("--runner=RealtimeRunner", "--progressInterval=5").run());
    assertThat(interval.getMessage(), containsString("--progressInterval must be"));
    IllegalArgumentException checkpointInterval =
        assertThrows(
            IllegalArgumentException.class,
            () -> pipeline("--runner=RealtimeRunner", "--checkpointInterval=100").run());
    assertThat(
        checkpointInterval.getMessage(),
        containsString("--checkpointInterval must be a positive number with unit ms, s or m"));
    IllegalArgumentException offButDir =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                pipeline(
                        "--runner=RealtimeRunner", "--checkpointInterval=0", "--checkpointDir=/tmp/x")
                    .run());
    assertThat(offButDir.getMessage(), containsString("drop one of them"));
  }

  @Test
  public void rejectsASinkThatCommitsPerEpochButNotAtBarriersAtRun() {
    Pipeline p = pipeline("--runner=RealtimeRunner");
    p.apply(Create.of(1L, 2L)).apply(Count.globally()).apply("EpochSink", ParDo.of(new EpochSink()));
    UnsupportedTransformException e = assertThrows(UnsupportedTransformException.class, p::run);
    assertThat(e.getMessage(), containsString("EpochSink"));
    assertThat(e.getMessage(), containsString("cannot commit at RealtimeRunner's checkpoint barriers"));
  }

  /** A stateful sink: a keyed exchange puts it in a stage of its own. */
  private static final class CountingSink extends DoFn<KV<Long, Long>, Void> {
    @StateId("count")
    private final StateSpec<ValueState<Long>> count = StateSpecs.value();

    @ProcessElement
    public void process(@StateId("count") ValueState<Long> count) {
      Long before = count.read();
      count.write(before == null ? 1 : before + 1);
    }
  }

  /** A sink that commits per epoch and relies on one bundle per epoch, as the Iceberg sink. */
  private static final class EpochSink extends DoFn<Long, Void> implements EpochTransactional {
    @ProcessElement
    public void process() {}
  }
}
