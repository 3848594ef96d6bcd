package io.beamline.runners.microbatch.testing;

import io.beamline.sdk.testing.SequenceSource;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import io.beamline.runners.microbatch.MicroBatchPipelineResult;
import io.beamline.runners.microbatch.MicroBatchRunner;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Predicate;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Gauge;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * A streaming job to watch in monitoring tests: an endless {@link SequenceSource} that always has
 * numbers available, a DoFn that spends a fixed CPU time per element (the synthetic load: more
 * per element than an epoch's interval allows makes the job overloaded), Beam user metrics, and a
 * windowed sum per key (state). Runs on {@link MicroBatchRunner} with a web UI on a free port.
 */
public final class MonitoredJob implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final MicroBatchPipelineResult result;

  private MonitoredJob(MicroBatchPipelineResult result) {
    this.result = result;
  }

  /**
   * Starts the job.
   *
   * @param microsPerElement CPU time the DoFn spends per element
   * @param args further options, e.g. {@code --batchInterval=100ms}, {@code --autoTune=true}
   */
  public static MonitoredJob start(long microsPerElement, String checkpointDir, String... args) {
    String[] all = new String[args.length + 4];
    all[0] = "--runner=MicroBatchRunner";
    all[1] = "--uiPort=-1";
    all[2] = "--parallelism=1";
    all[3] = "--checkpointDir=" + checkpointDir;
    System.arraycopy(args, 0, all, 4, args.length);
    MicroBatchPipelineOptions options =
        PipelineOptionsFactory.fromArgs(all).as(MicroBatchPipelineOptions.class);
    options.setJobName("monitored-job");
    Pipeline p = Pipeline.create(options);
    p.apply("Numbers", Read.from(new SequenceSource(Long.MAX_VALUE)))
        .apply("Work", ParDo.of(new WorkFn(microsPerElement * 1_000)))
        .apply("ByKey", WithKeys.of((Long n) -> n % 4).withKeyType(TypeDescriptors.longs()))
        .apply("Windows", Window.<KV<Long, Long>>into(FixedWindows.of(org.joda.time.Duration.standardSeconds(1))))
        .apply("SumPerKey", Sum.longsPerKey());
    return new MonitoredJob((MicroBatchPipelineResult) p.run());
  }

  public MicroBatchPipelineResult result() {
    return result;
  }

  /** The web UI's address. */
  public URI ui() {
    return result.uiUri();
  }

  /** GETs a page of the UI as text. */
  public String get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(HttpRequest.newBuilder(ui().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(path + ": HTTP " + r.statusCode());
    }
    return r.body();
  }

  /** GETs a JSON document of the API. */
  public JsonNode json(String path) throws IOException, InterruptedException {
    return JSON.readTree(get(path));
  }

  /**
   * Polls {@code path} every 100 ms until {@code condition} holds, at most {@code timeout}.
   *
   * @throws AssertionError with the last document if it never held
   */
  public JsonNode awaitJson(String path, Predicate<JsonNode> condition, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = json(path);
      if (condition.test(last)) {
        return last;
      }
      if (result.getState().isTerminal()) {
        result.waitUntilFinish(); // throws the failure, if any
        throw new AssertionError("the job ended: " + result.getState() + "; last " + path + ": " + last);
      }
      Thread.sleep(100); // the polling interval; the condition, not the time, ends the wait
    }
    throw new AssertionError("timed out after " + timeout + " waiting on " + path + "; last: " + last);
  }

  @Override
  public void close() {
    result.cancel();
    result.waitUntilFinish(org.joda.time.Duration.standardSeconds(30));
  }

  /** Spends {@code nanos} of CPU per element and reports Beam metrics of each kind. */
  static final class WorkFn extends DoFn<Long, Long> {
    private final long nanos;
    private final Counter elements = Metrics.counter("monitored", "elementsWorked");
    private final Distribution values = Metrics.distribution("monitored", "valueSeen");
    private final Gauge last = Metrics.gauge("monitored", "lastValue");

    WorkFn(long nanos) {
      this.nanos = nanos;
    }

    @ProcessElement
    public void process(@Element Long n, OutputReceiver<Long> out) {
      long until = System.nanoTime() + nanos;
      long spin = 0;
      while (System.nanoTime() < until) {
        spin++; // synthetic CPU work
      }
      elements.inc();
      values.update(n % 1000 + (spin & 0));
      last.set(n);
      out.output(n);
    }
  }
}
