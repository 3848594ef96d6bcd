package io.beamline.monitoring;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.After;
import org.junit.Test;

/** The monitor's server: routes, JSON documents, static files; fed with synthetic records. */
public class JobMonitorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private JobMonitor monitor;

  @After
  public void close() {
    if (monitor != null) {
      monitor.close();
    }
  }

  static MonitoringOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(MonitoringOptions.class);
  }

  static JobDescription streamingJob() {
    return new JobDescription("test-job", "TestRunner", false, 2, 200, 100_000);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(monitor.uiUri().resolve(path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode json(String path) throws Exception {
    HttpResponse<String> r = get(path);
    assertEquals(path, 200, r.statusCode());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    return JSON.readTree(r.body());
  }

  @Test
  public void servesJobPlanProgressAlertsAndStaticFiles() throws Exception {
    monitor = JobMonitor.start(options("--uiPort=-1"), streamingJob());
    assertThat(monitor.uiUri().toString(), startsWith("http://127.0.0.1:"));
    monitor.setPlan(
        new PlanDescription(
            List.of(
                new PlanDescription.StageNode(0, "Read", "source", List.of("Read")),
                new PlanDescription.StageNode(1, "Count", "keyed", List.of("Count/GroupByKey", "Count/Sum"))),
            List.of(new PlanDescription.Edge(0, 1, "shuffle", "Count.input"))));
    Map<String, Object> extra = null;
    for (int e = 0; e < 4; e++) {
      extra = monitor.onProgress(Progress.epoch(e).busy(150).build()); // 75% of 200 ms
    }
    assertEquals(List.of(Alert.PROCESSING_RATIO), extra.get("alerts"));
    assertTrue(extra.containsKey("capacity"));
    monitor.onProgress(Progress.epoch(4).build());
    monitor.onProgress(Progress.epoch(5).build());
    monitor.onProgress(
        Progress.epoch(6).build(),
        new ProgressDetails(3.5, 12.0, Map.of(1, new ProgressDetails.StageFigures(900, 0.25)), 42));

    JsonNode job = json("api/job");
    assertEquals("test-job", job.path("name").asText());
    assertEquals("RUNNING", job.path("state").asText());
    assertEquals(7, job.path("epochs").asInt());
    assertEquals(200, job.path("tuning").path("batchIntervalMs").asInt());
    assertEquals(0.6, job.path("thresholds").path("processingRatio").asDouble(), 1e-9);
    assertEquals(2, job.path("capacity").path("cores").asInt(), 2);
    assertEquals(0, job.path("alerts").size()); // epochs 4 to 6 were calm: cleared

    JsonNode plan = json("api/plan");
    assertEquals("keyed", plan.path("stages").get(1).path("kind").asText());
    assertEquals("shuffle", plan.path("exchanges").get(0).path("kind").asText());

    JsonNode all = json("api/progress");
    assertEquals(7, all.path("points").size());
    assertEquals(0.75, all.path("points").get(0).path("processingRatio").asDouble(), 1e-9);
    assertEquals("processingRatio", all.path("points").get(3).path("alerts").get(0).asText());
    JsonNode latest = all.path("latest");
    assertEquals(12.0, latest.path("latencyMs").path("p99").asDouble(), 1e-9);
    assertEquals(0.25, latest.path("stages").path("1").path("queueOccupancy").asDouble(), 1e-9);
    assertEquals(42, latest.path("backlogRows").asLong());
    assertTrue(all.path("points").get(0).path("latencyMs").isMissingNode());
    JsonNode after = json("api/progress?after=3");
    assertEquals(4, after.path("points").size());
    assertEquals(7, after.path("lastSeq").asLong());

    JsonNode alerts = json("api/alerts");
    assertEquals(0, alerts.path("active").size());
    assertEquals(2, alerts.path("events").size());
    assertTrue(alerts.path("events").get(0).path("raised").asBoolean());

    HttpResponse<String> page = get("");
    assertThat(page.headers().firstValue("Content-Type").orElse(""), startsWith("text/html"));
    assertThat(page.body(), containsString("webjars/uplot/1.6.30/dist/uPlot.iife.min.js"));
    HttpResponse<String> uplot = get("webjars/uplot/1.6.30/dist/uPlot.iife.min.js");
    assertEquals(200, uplot.statusCode());
    assertThat(uplot.body(), containsString("uPlot"));
    assertEquals(200, get("ui/ui.js").statusCode());
    assertEquals(404, get("ui/../../../../META-INF/MANIFEST.MF").statusCode());
    assertEquals(404, get("nothing").statusCode());
    HttpResponse<String> post =
        http.send(
            HttpRequest.newBuilder(monitor.uiUri().resolve("api/job"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());

    monitor.setState(PipelineResult.State.DONE);
    assertEquals("DONE", json("api/job").path("state").asText());
  }

  @Test
  public void metricsEndpointHasTheRunnersFiguresAndJvmMetrics() throws Exception {
    monitor = JobMonitor.start(options("--uiPort=-1"), streamingJob());
    monitor.onProgress(Progress.epoch(7).rows(500).late(2).stateBytes(4096).build());
    HttpResponse<String> r = get("metrics");
    assertThat(r.headers().firstValue("Content-Type").orElse(""), containsString("version=0.0.4"));
    String text = r.body();
    assertThat(text, containsString("beamline_epoch 7.0"));
    assertThat(text, containsString("beamline_input_rows_total 500.0"));
    assertThat(text, containsString("beamline_late_rows_dropped_total 2.0"));
    assertThat(text, containsString("beamline_state_bytes 4096.0"));
    assertThat(text, containsString("beamline_alert_active{alert=\"lateRows\"} 1.0"));
    assertThat(text, containsString("beamline_epoch_duration_seconds{phase=\"total\"} 0.15"));
    assertThat(text, containsString("beamline_job_info{job=\"test-job\",runner=\"TestRunner\"} 1"));
    assertThat(text, containsString("jvm_memory_used_bytes"));
  }

  @Test
  public void portZeroRunsWithoutServerAndBadOptionsAreRejectedWithTheOptionsName() {
    monitor = JobMonitor.start(options("--uiPort=0"), streamingJob());
    assertNull(monitor.uiUri());
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> JobMonitor.validate(options("--uiPort=70000")))
            .getMessage(),
        containsString("--uiPort must be a port"));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () -> JobMonitor.validate(options("--consoleProgress=fancy")))
            .getMessage(),
        containsString("--consoleProgress must be auto, bar, lines or off"));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () -> JobMonitor.validate(options("--autoTuneMaxInterval=1.5s")))
            .getMessage(),
        containsString("--autoTuneMaxInterval must be a whole number"));
  }

  @Test
  public void aTakenPortMovesToTheNextOne() throws Exception {
    monitor = JobMonitor.start(options("--uiPort=-1"), streamingJob());
    int taken = monitor.uiUri().getPort();
    try (JobMonitor second =
        JobMonitor.start(options("--uiPort=" + taken), streamingJob())) {
      URI uri = second.uiUri();
      assertTrue(uri.getPort() > taken && uri.getPort() <= taken + 16);
    }
  }
}
