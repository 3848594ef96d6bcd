package io.beamline.benchmarks;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;

/**
 * The only thing the benchmarks module runs in {@code mvn verify}: sum-per-key-100 on DirectRunner, in process. No
 * timing assertions.
 */
public class BenchmarkSmokeTest {

  @Test
  public void sumPerKey100RunsAndVerifiesOnDirectRunner() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream results = new PrintStream(out, true, StandardCharsets.UTF_8);
    boolean ok =
        new BenchmarkWorker(Runners.DIRECT, List.of("sum-per-key-100"), 0, 1, 2, results).runAll();
    assertTrue(out.toString(StandardCharsets.UTF_8), ok);

    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.toString(StandardCharsets.UTF_8).split("\\R")) {
      lines.add(BenchmarkWorker.JSON.readTree(line));
    }
    assertEquals(3, lines.size());
    assertEquals("start", lines.get(0).get("type").asText());
    JsonNode run = lines.get(1);
    assertEquals("run", run.get("type").asText());
    assertEquals("DirectRunner", run.get("runner").asText());
    assertEquals("sum-per-key-100", run.get("pipeline").asText());
    assertEquals("measure", run.get("phase").asText());
    assertThat(run.get("ms").asDouble(), greaterThan(0.0));
    assertEquals("done", lines.get(2).get("type").asText());
  }

  @Test
  public void unknownRunnerIsReportedAsAnErrorLine() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream results = new PrintStream(out, true, StandardCharsets.UTF_8);
    boolean ok =
        new BenchmarkWorker("NoSuchRunner", List.of("sum-per-key-100"), 1, 1, 2, results).runAll();
    assertEquals(false, ok);
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text, containsString("\"type\":\"error\""));
    assertThat(text, containsString("NoSuchRunner"));
  }

  @Test
  public void verificationFailsWhenThePipelineProducedNothing() {
    BenchmarkPipelines.BuiltPipeline built =
        BenchmarkPipelines.build("sum-per-key-100", PipelineOptionsFactory.create());
    // never run: the verifying stage saw nothing, which is how a runner that loses data shows up
    IllegalStateException e = assertThrows(IllegalStateException.class, built::verify);
    assertThat(e.getMessage(), containsString("never saw"));
  }

  @Test
  public void expectedSums() {
    // brute force against the closed form
    for (long n : new long[] {1, 100, 999, 1000, 1001, 2500}) {
      long[] sums = new long[1000];
      for (long x = 0; x < n; x++) {
        sums[(int) (x % 1000)] += x;
      }
      for (int k = 0; k < 1000; k++) {
        assertEquals("n=" + n + " key=" + k, sums[k], BenchmarkPipelines.expectedSum(n, k));
      }
    }
  }

  @Test
  public void pipelineNames() {
    assertTrue(BenchmarkPipelines.isKnown("sum-per-key-100"));
    assertTrue(BenchmarkPipelines.isKnown("sum-per-key-1m"));
    assertTrue(BenchmarkPipelines.isKnown("sum-per-key-10k"));
    assertTrue(BenchmarkPipelines.isKnown("flights"));
    assertEquals(false, BenchmarkPipelines.isKnown("sum-per-key"));
    assertEquals(1_000_000L, BenchmarkPipelines.parseCount("1", "m"));
    assertEquals(10_000L, BenchmarkPipelines.parseCount("10", "k"));
    assertEquals(100L, BenchmarkPipelines.parseCount("100", ""));
  }
}
