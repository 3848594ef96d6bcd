package io.beamline.runners.microbatch.monitoring;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamline.runners.microbatch.testing.MonitoredJob;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code /metrics} of a running job, read by the Prometheus project's own text-format parser (the
 * Python client's {@code prometheus_client.parser}, in a child process; {@code .ci/run} installs
 * Debian's {@code python3-prometheus-client}): it parses, every family has one type, and the
 * runner's figures and Beam's user metrics (counter, gauge, distribution) are there under
 * Prometheus-style names with their step and namespace as labels.
 */
public class PrometheusEndpointIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void metricsParseWithThePrometheusParserAndHoldBeamUserMetrics() throws Exception {
    try (MonitoredJob job = MonitoredJob.start(1, tmp.newFolder().toString(), "--batchInterval=100ms")) {
      job.awaitJson("api/progress", p -> p.path("latest").path("inputRows").asLong() > 0, Duration.ofSeconds(120));
      JsonNode families = parse(job.get("metrics"));

      assertEquals("counter", families.path("beam_elements_worked").path("type").asText());
      JsonNode sample = families.path("beam_elements_worked").path("samples").get(0);
      assertEquals("beam_elements_worked_total", sample.get(0).asText());
      assertEquals("Work/ParMultiDo(Work)", sample.get(1).path("step").asText());
      assertEquals("monitored", sample.get(1).path("namespace").asText());
      assertThat(sample.get(2).asDouble(), greaterThan(0.0));
      assertEquals("gauge", families.path("beam_last_value").path("type").asText());
      assertEquals("summary", families.path("beam_value_seen").path("type").asText());
      assertThat(names(families.path("beam_value_seen")), hasItem("beam_value_seen_count"));
      assertEquals("gauge", families.path("beam_value_seen_max").path("type").asText());

      assertEquals("counter", families.path("beamline_input_rows").path("type").asText());
      assertThat(families.path("beamline_input_rows").path("samples").get(0).get(2).asDouble(), greaterThan(0.0));
      assertEquals("gauge", families.path("beamline_epoch_duration_seconds").path("type").asText());
      assertEquals("gauge", families.path("beamline_processing_ratio").path("type").asText());
      assertEquals("gauge", families.path("beamline_state_bytes").path("type").asText());
      // the text format 0.0.4 has no info type: an info metric is a gauge named *_info
      JsonNode info = families.path("beamline_job_info").path("samples").get(0);
      assertEquals("MicroBatchRunner", info.get(1).path("runner").asText());
      assertEquals("monitored-job", info.get(1).path("job").asText());
      assertEquals(5, families.path("beamline_alert_active").path("samples").size());
      assertTrue(families.has("jvm_memory_used_bytes"));
    }
  }

  private static List<String> names(JsonNode family) {
    List<String> names = new ArrayList<>();
    family.path("samples").forEach(s -> names.add(s.get(0).asText()));
    return names;
  }

  /** Runs the parser script on {@code text}; fails with its error output if it rejects the text. */
  private JsonNode parse(String text) throws Exception {
    Path script = tmp.newFile("parse_metrics.py").toPath();
    try (InputStream in = getClass().getResourceAsStream("parse_metrics.py")) {
      Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    Path input = tmp.newFile("metrics.txt").toPath();
    Files.writeString(input, text);
    Path output = tmp.newFile("families.json").toPath();
    Path errors = tmp.newFile("errors.txt").toPath();
    Process python =
        new ProcessBuilder("/usr/bin/python3", script.toString())
            .redirectInput(input.toFile())
            .redirectOutput(output.toFile())
            .redirectError(errors.toFile())
            .start();
    assertTrue("the parser did not finish", python.waitFor(60, TimeUnit.SECONDS));
    assertEquals(
        "prometheus_client.parser rejected /metrics: " + Files.readString(errors, StandardCharsets.UTF_8)
            + "\n" + text,
        0,
        python.exitValue());
    return JSON.readTree(output.toFile());
  }
}
