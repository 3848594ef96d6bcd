package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Statistics over the per-epoch progress of a MicroBatchRunner streaming run, read from its {@code progress.jsonl}
 * (one {@code EpochProgress} as JSON per line; the pipeline result keeps only the last 100).
 *
 * <p>Per phase of {@code durationMs} ({@code planOffsets}, {@code offsetLog}, {@code process}, {@code
 * stateSnapshot}, {@code commit}, {@code total}): median, p99, max, mean. The runner reports these in whole
 * milliseconds, truncated, so a median of 2 means 2.0 to 2.99 ms. The <em>period</em> is the time from one
 * epoch's start to the next one's, from the {@code timestamp} fields (microsecond resolution): with {@code
 * --batchInterval=0ms} it is the full cost of an epoch, including what happens between two epochs (reporting
 * progress, the loop).
 */
final class EpochStats {

  static final List<String> PHASES =
      List.of("planOffsets", "offsetLog", "process", "stateSnapshot", "commit", "total");

  /** {@link #PHASES} plus {@code sinkCommit}: time the epoch-transactional sinks (Kafka) spent flushing and committing, part of {@code process}. */
  static final List<String> PHASES_WITH_SINK =
      List.of("planOffsets", "offsetLog", "process", "sinkCommit", "stateSnapshot", "commit", "total");

  /** Derived per epoch: {@code total - planOffsets}, the work after reading (planOffsets includes waiting for input). */
  static final String AFTER_READ = "afterRead";

  final int epochs;
  final long inputRows;
  final Map<String, Percentiles> phases;
  /** Start-to-start time of consecutive epochs in ms (fractional); empty with fewer than two epochs. */
  final Percentiles periodMs;
  final long maxStateKeys;
  final long maxStateBytes;
  final long lastStateBytes;

  private EpochStats(
      int epochs, long inputRows, Map<String, Percentiles> phases, Percentiles periodMs, long maxStateKeys,
      long maxStateBytes, long lastStateBytes) {
    this.epochs = epochs;
    this.inputRows = inputRows;
    this.phases = phases;
    this.periodMs = periodMs;
    this.maxStateKeys = maxStateKeys;
    this.maxStateBytes = maxStateBytes;
    this.lastStateBytes = lastStateBytes;
  }

  static List<JsonNode> readProgressFile(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        out.add(BenchmarkWorker.JSON.readTree(line));
      }
    }
    return out;
  }

  /** Statistics of {@code epochs} (progress records in epoch order). */
  static EpochStats of(List<JsonNode> epochs) {
    return of(epochs, PHASES);
  }

  /** Statistics of {@code epochs} over the given {@code durationMs} phases (a phase an epoch lacks is skipped). */
  static EpochStats of(List<JsonNode> epochs, List<String> phaseNames) {
    Map<String, List<Long>> byPhase = new LinkedHashMap<>();
    phaseNames.forEach(p -> byPhase.put(p, new ArrayList<>()));
    byPhase.put(AFTER_READ, new ArrayList<>());
    List<Double> periods = new ArrayList<>();
    long rows = 0;
    long keys = 0;
    long bytes = 0;
    long lastBytes = 0;
    Instant previous = null;
    for (JsonNode e : epochs) {
      JsonNode d = e.path("durationMs");
      for (String phase : phaseNames) {
        if (d.has(phase)) {
          byPhase.get(phase).add(d.get(phase).asLong());
        }
      }
      if (d.has("total") && d.has("planOffsets")) {
        byPhase.get(AFTER_READ).add(d.get("total").asLong() - d.get("planOffsets").asLong());
      }
      rows += e.path("inputRows").asLong();
      keys = Math.max(keys, e.path("stateKeys").asLong());
      lastBytes = e.path("stateBytes").asLong();
      bytes = Math.max(bytes, lastBytes);
      Instant start = Instant.parse(e.path("timestamp").asText());
      if (previous != null) {
        periods.add((start.getEpochSecond() - previous.getEpochSecond()) * 1e3
            + (start.getNano() - previous.getNano()) / 1e6);
      }
      previous = start;
    }
    Map<String, Percentiles> phases = new LinkedHashMap<>();
    byPhase.forEach((phase, values) -> phases.put(phase, Percentiles.of(values)));
    return new EpochStats(epochs.size(), rows, phases, Percentiles.of(periods), keys, bytes, lastBytes);
  }

  /** As JSON, for the child's result line: per phase {median, p99, max, mean}, the period, state sizes. */
  ObjectNode toJson() {
    ObjectNode node = BenchmarkWorker.JSON.createObjectNode();
    node.put("epochs", epochs);
    node.put("inputRows", inputRows);
    ObjectNode ph = node.putObject("phasesMs");
    phases.forEach(
        (phase, p) -> {
          if (p.count() > 0) {
            ObjectNode o = ph.putObject(phase);
            o.put("median", p.median());
            o.put("p99", p.percentile(99));
            o.put("max", p.max());
            o.put("mean", p.mean());
          }
        });
    if (periodMs.count() > 0) {
      ObjectNode o = node.putObject("periodMs");
      o.put("median", periodMs.median());
      o.put("p99", periodMs.percentile(99));
      o.put("max", periodMs.max());
      o.put("mean", periodMs.mean());
    }
    node.put("maxStateKeys", maxStateKeys);
    node.put("maxStateBytes", maxStateBytes);
    node.put("lastStateBytes", lastStateBytes);
    return node;
  }
}
