package io.beamline.benchmarks;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.nexmark.NexmarkConfiguration;
import org.apache.beam.sdk.nexmark.model.KnownSize;
import org.apache.beam.sdk.values.TimestampedValue;
import org.junit.Test;

/**
 * Nexmark queries 0–12 on MicroBatchRunner in batch, in this JVM, with few events (10,000 for the model check:
 * with fewer, some models expect no result at all): every query runs, every query that has a model passes
 * Nexmark's model check, and the check and timed runs report digests. No
 * timing is asserted. Also checks that the model check can fail.
 */
public class NexmarkSmokeTest {

  @Test
  public void everyQueryRunsAndPassesItsModelOnMicroBatchRunner() throws Exception {
    List<JsonNode> lines =
        runWorker("--runner=MicroBatchRunner", "--mode=batch", "--queries=0-12", "--events=2000",
            "--check-events=10000", "--warmups=0", "--iterations=1", "--parallelism=2");
    Map<Integer, JsonNode> checks = new LinkedHashMap<>();
    Map<Integer, JsonNode> runs = new LinkedHashMap<>();
    for (JsonNode line : lines) {
      String type = line.path("type").asText();
      assertTrue("no errors expected: " + line, !type.equals("error"));
      if (type.equals("check")) {
        checks.put(line.path("query").asInt(), line);
      } else if (type.equals("run")) {
        runs.put(line.path("query").asInt(), line);
      }
    }
    assertEquals(NexmarkQueries.ALL, new ArrayList<>(checks.keySet()));
    assertEquals(NexmarkQueries.ALL, new ArrayList<>(runs.keySet()));
    for (int q : NexmarkQueries.ALL) {
      String model = checks.get(q).path("model").asText();
      assertEquals("q" + q + " model check", q <= 9 ? "ok" : "none", model);
      assertThat(runs.get(q).path("digest").asText(), matchesPattern("\\d+:[0-9a-f]{16}"));
      assertEquals(2000, runs.get(q).path("events").asLong());
    }
    // q0 passes every event through: one result per event
    assertEquals(2000, runs.get(0).path("results").asLong());
  }

  @Test
  @SuppressWarnings("unchecked")
  public void modelCheckFailsOnAWrongResult() {
    NexmarkConfiguration c = NexmarkQueries.configuration(0, 100, 1);
    List<NexmarkDigest.Collected> results = new ArrayList<>();
    var events = org.apache.beam.sdk.nexmark.NexmarkUtils.standardEventIterator(c);
    while (events.hasNext()) {
      TimestampedValue<?> e = events.next();
      results.add(new NexmarkDigest.Collected((TimestampedValue<KnownSize>) e, 0));
    }
    assertEquals("ok", NexmarkWorker.modelCheck(0, c, results));
    results.remove(results.size() - 1);
    assertThat(NexmarkWorker.modelCheck(0, c, results), startsWith("failed: "));
  }

  @Test
  @SuppressWarnings("unchecked")
  public void digestIgnoresOrderButNotDuplicates() {
    NexmarkConfiguration c = NexmarkQueries.configuration(0, 50, 1);
    List<TimestampedValue<KnownSize>> events = new ArrayList<>();
    org.apache.beam.sdk.nexmark.NexmarkUtils.standardEventIterator(c)
        .forEachRemaining(e -> events.add((TimestampedValue<KnownSize>) (TimestampedValue<?>) e));
    List<TimestampedValue<KnownSize>> reversed = new ArrayList<>(events);
    java.util.Collections.reverse(reversed);
    List<TimestampedValue<KnownSize>> duplicated = new ArrayList<>(events);
    duplicated.add(events.get(7));

    String inOrder = digest("in-order", events);
    assertEquals(inOrder, digest("reversed", reversed));
    assertThat(inOrder, startsWith("50:"));
    assertTrue(!inOrder.equals(digest("duplicated", duplicated)));
  }

  private static String digest(String runId, List<TimestampedValue<KnownSize>> results) {
    NexmarkDigest sink = NexmarkDigest.start(runId, NexmarkQueries.Canonical.VALUE_TIMESTAMP, false);
    results.forEach(r -> sink.processElement(r, org.apache.beam.sdk.transforms.windowing.PaneInfo.NO_FIRING));
    return NexmarkDigest.finish(runId).digest();
  }

  private static List<JsonNode> runWorker(String... args) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    boolean ok = new NexmarkWorker(Args.parse(args), out).runAll();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : bytes.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        lines.add(BenchmarkWorker.JSON.readTree(line));
      }
    }
    assertTrue("worker reported a failure: " + lines, ok);
    return lines;
  }
}
