package io.beamline.runners.microbatch.monitoring;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamline.runners.microbatch.testing.MonitoredJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A deliberately overloaded job (a DoFn spending 50 µs of CPU per element, 4,000 elements per
 * 100 ms epoch: about 200 ms of work per 100 ms interval) raises the processing-ratio alert; with
 * {@code --autoTune=true} it brings its processing ratio under 50% by itself. Both wait on the JSON
 * API with a deadline, never on time.
 */
public class OverloadTest {
  private static final Duration DEADLINE = Duration.ofSeconds(120);
  private static final String[] OVERLOADED = {"--batchInterval=100ms", "--maxRecordsPerBatch=4000"};

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void overloadedJobRaisesTheProcessingRatioAlertInTheApiAndTheProgressFile() throws Exception {
    Path checkpoint = tmp.newFolder("checkpoint").toPath();
    try (MonitoredJob job = MonitoredJob.start(50, checkpoint.toString(), OVERLOADED)) {
      JsonNode status =
          job.awaitJson("api/job", j -> hasAlert(j.path("alerts"), "processingRatio"), DEADLINE);
      JsonNode alert = status.path("alerts").get(0);
      assertThat(alert.path("message").asText(), containsString("of the 100 ms interval for 3 epochs in a row"));
      assertTrue(alert.path("value").asDouble() > 0.6);
      // the progress JSON line of the epoch that raised it names the alert
      long since = alert.path("sinceEpoch").asLong();
      job.awaitJson("api/progress", p -> p.path("lastSeq").asLong() > 0, DEADLINE);
      List<String> lines = Files.readAllLines(checkpoint.resolve("progress.jsonl"));
      JsonNode line =
          lines.stream()
              .map(OverloadTest::parse)
              .filter(n -> n.path("epoch").asLong() == since)
              .findFirst()
              .orElseThrow();
      assertEquals("processingRatio", line.path("alerts").get(0).asText());
      assertTrue(line.path("capacity").path("rowsPerSecondPerCore").asDouble() > 0);
      assertThat(job.get("metrics"), containsString("beamline_alert_active{alert=\"processingRatio\"} 1.0"));
    }
  }

  @Test
  public void withAutoTuneTheOverloadedJobBringsItsRatioUnderHalfTheInterval() throws Exception {
    Path checkpoint = tmp.newFolder("checkpoint").toPath();
    String[] args = {OVERLOADED[0], OVERLOADED[1], "--autoTune=true"};
    try (MonitoredJob job = MonitoredJob.start(50, checkpoint.toString(), args)) {
      // three epochs in a row under 50% of their interval, each with input, after the tuner acted
      JsonNode progress =
          job.awaitJson(
              "api/progress",
              p -> {
                JsonNode points = p.path("points");
                int n = points.size();
                if (n < 4) {
                  return false;
                }
                for (int i = n - 3; i < n; i++) {
                  JsonNode point = points.get(i);
                  if (point.path("inputRows").asLong() == 0
                      || point.path("maxRecordsPerBatch").asLong() >= 4000
                      || !(point.path("processingRatio").asDouble() < 0.5)) {
                    return false;
                  }
                }
                return true;
              },
              DEADLINE);
      JsonNode first = progress.path("points").get(0);
      assertTrue("the first epoch was overloaded: " + first, first.path("processingRatio").asDouble() > 0.5);
      JsonNode job0 = job.json("api/job");
      assertThat(job0.path("tuning").path("maxRecordsPerBatch").asLong(), lessThan(4000L));
      List<String> lines = Files.readAllLines(checkpoint.resolve("progress.jsonl"));
      assertTrue(lines.stream().map(OverloadTest::parse).anyMatch(n -> n.path("tuning").path("maxRecordsPerBatch").asLong() < 4000));
    }
  }

  private static boolean hasAlert(JsonNode alerts, String name) {
    for (JsonNode a : alerts) {
      if (name.equals(a.path("name").asText())) {
        return true;
      }
    }
    return false;
  }

  private static JsonNode parse(String line) {
    try {
      return new ObjectMapper().readTree(line);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
