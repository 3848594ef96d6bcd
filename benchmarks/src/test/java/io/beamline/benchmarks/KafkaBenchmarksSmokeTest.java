package io.beamline.benchmarks;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The Kafka benchmark modes run end to end at tiny sizes (embedded broker in this JVM, each system under test in a
 * child JVM) and verify their output; nothing here looks at a time. Plus the harness's record format and system
 * names.
 */
public class KafkaBenchmarksSmokeTest {

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private JsonNode runMode(String mode, Map<String, String> opts) throws Exception {
    Path json = tmp.getRoot().toPath().resolve(mode + ".json");
    Map<String, String> all = new java.util.LinkedHashMap<>(opts);
    all.put("json", json.toString());
    all.put("heap", "512m");
    all.put("tmp-dir", tmp.newFolder().toString());
    all.put("log-dir", tmp.newFolder().toString());
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    int code = KafkaBenchmarks.run(mode, all, new PrintStream(text, true, StandardCharsets.UTF_8));
    String report = text.toString(StandardCharsets.UTF_8);
    System.out.println(report);
    assertEquals(report, 0, code);
    assertThat(report, containsString("| system | interval | run |"));
    JsonNode root = BenchmarkWorker.JSON.readTree(Files.readString(json));
    assertEquals(root.path("errors").toString(), 0, root.path("errors").size());
    return root;
  }

  @Test
  public void kafkaLatencyRunsAndVerifiesBothSystems() throws Exception {
    JsonNode root = runMode(KafkaBenchmarks.LATENCY, Map.of(
        "systems", "beamline,floor", "intervals", "100ms", "rate", "200", "seconds", "2", "warmup-seconds", "1",
        "iterations", "1", "partitions", "2"));
    Set<String> systems = new HashSet<>();
    for (JsonNode run : root.path("runs")) {
      systems.add(run.path("system").asText());
      assertEquals(600, run.path("distinct").asLong());
      assertEquals(0, run.path("duplicates").asLong());
      assertEquals(400, run.path("visibleMs").path("count").asLong());
      assertTrue(run.path("stampedMs").has("p99"));
      // the same interval on the nanosecond clock: within the millisecond clocks' tick of it
      assertEquals(400, run.path("visibleUs").path("count").asLong());
      double micros = run.path("visibleUs").path("p50").asDouble();
      double millis = run.path("visibleMs").path("p50").asDouble();
      assertTrue(micros + " us vs " + millis + " ms", Math.abs(micros / 1000 - millis) <= 1.0);
    }
    assertEquals(Set.of("beamline", "floor"), systems);
  }

  @Test
  public void countPerKeyRunsOnRealtimeRunnerAndTheFloor() throws Exception {
    JsonNode root = runMode(KafkaBenchmarks.LATENCY, Map.of(
        "systems", "realtime,floor-alo", "intervals", "100ms", "rate", "200", "seconds", "2",
        "warmup-seconds", "1", "iterations", "1", "partitions", "2", "count-per-key", ""));
    Set<String> systems = new HashSet<>();
    for (JsonNode run : root.path("runs")) {
      systems.add(run.path("system").asText());
      assertEquals(600, run.path("distinct").asLong());
      assertEquals(0, run.path("duplicates").asLong());
    }
    assertEquals(Set.of("realtime", "floor-alo"), systems);
  }

  @Test
  public void kafkaThroughputRunsAndVerifiesBothSystems() throws Exception {
    JsonNode root = runMode(KafkaBenchmarks.THROUGHPUT, Map.of(
        "systems", "beamline,floor", "intervals", "100ms", "records", "3000", "warmup-records", "500",
        "warmups", "1", "iterations", "1", "partitions", "2"));
    Set<String> systems = new HashSet<>();
    for (JsonNode run : root.path("runs")) {
      systems.add(run.path("system").asText());
      assertEquals(3000, run.path("distinct").asLong());
      assertEquals(0, run.path("duplicates").asLong());
      assertTrue(run.has("recordsPerSecond"));
    }
    assertEquals(Set.of("beamline", "floor"), systems);
  }

  @Test
  public void recordFormatAndTransform() {
    assertEquals("1234,234", KafkaCopy.inputValue(1234));
    var kv = KafkaCopy.transform("1234,234", 1_700_000_000_123L);
    assertEquals("k" + (1234 % KafkaCopy.KEYS), kv.getKey());
    assertEquals("1234,468,1700000000123", kv.getValue());
    KafkaCopy.Output o = KafkaCopy.Output.parse(kv.getValue());
    assertEquals(1234, o.id());
    assertEquals(1_700_000_000_123L, o.inputTimestamp());
    assertTrue(o.transformedCorrectly());
    assertFalse(KafkaCopy.Output.parse("1234,467,1").transformedCorrectly());
    assertThrows(IllegalArgumentException.class, () -> KafkaCopy.Output.parse("garbage"));
    var counted = KafkaCopy.withCount(kv, 7);
    assertEquals(kv.getKey(), counted.getKey());
    assertTrue(KafkaCopy.Output.parse(counted.getValue()).transformedCorrectly());
    assertEquals(1_700_000_000_123L, KafkaCopy.Output.parse(counted.getValue()).inputTimestamp());
    assertThrows(IllegalArgumentException.class, () -> KafkaCopy.Output.parse(kv.getValue() + ",0"));
  }

  @Test
  public void systemNames() {
    KafkaWorker.SystemSpec b = KafkaWorker.SystemSpec.parse("beamline");
    assertTrue(b.beamline());
    assertTrue(b.exactlyOnce());
    assertEquals(-1, b.maxRecords());
    assertEquals(0, KafkaWorker.SystemSpec.parse("floor").threads());
    KafkaWorker.SystemSpec b1m = KafkaWorker.SystemSpec.parse("beamline-1m");
    assertEquals(1_000_000, b1m.maxRecords());
    KafkaWorker.SystemSpec f = KafkaWorker.SystemSpec.parse("floor-alo-100k-2t");
    assertFalse(f.beamline());
    assertFalse(f.exactlyOnce());
    assertEquals(100_000, f.maxRecords());
    assertEquals(2, f.threads());
    assertThrows(IllegalArgumentException.class, () -> KafkaWorker.SystemSpec.parse("spark"));
    KafkaWorker.SystemSpec flink1 = KafkaWorker.SystemSpec.parse("flink-1");
    assertEquals(Runners.FLINK, flink1.runner());
    assertFalse(flink1.exactlyOnce());
    assertEquals(1, flink1.maxRecords());
    assertThrows(IllegalArgumentException.class, () -> KafkaWorker.SystemSpec.parse("beamline-2t"));
    assertThrows(IllegalArgumentException.class, () -> KafkaWorker.SystemSpec.parse("floor-xyz"));
  }
}
