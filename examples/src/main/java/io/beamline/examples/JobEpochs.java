package io.beamline.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamline.sdk.EpochProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * The epochs of the streaming job as it reports them: counted once each (a replayed epoch by its last
 * line), the console line per epoch, and progress watermarks read back.
 */
final class JobEpochs {
  private static final ObjectMapper JSON = new ObjectMapper();

  int epochs;
  long first = -1;
  long rows;
  long late;
  EpochProgress last;

  /**
   * The whole job's epochs: every epoch in the checkpoint's {@code progress.jsonl} (all runs on
   * it; an epoch replayed after a crash counted once, by its last line), or {@code thisRun} if
   * the file cannot be read.
   */
  static JobEpochs ofJob(Path progressFile, JobEpochs thisRun) {
    if (!Files.exists(progressFile)) {
      return thisRun;
    }
    java.util.TreeMap<Long, EpochProgress> byEpoch = new java.util.TreeMap<>();
    try {
      for (String line : Files.readAllLines(progressFile)) {
        if (!line.isBlank()) {
          var n = JSON.readTree(line);
          byEpoch.put(n.path("epoch").asLong(), progressOf(n));
        }
      }
    } catch (IOException | RuntimeException e) {
      return thisRun;
    }
    JobEpochs job = new JobEpochs();
    byEpoch.values().forEach(job::accept);
    return job.epochs >= thisRun.epochs ? job : thisRun;
  }

  private static EpochProgress progressOf(com.fasterxml.jackson.databind.JsonNode n) {
    return new EpochProgress(
        n.path("runId").asText(), n.path("epoch").asLong(), n.path("timestamp").asText(),
        n.path("replayed").asBoolean(), n.path("inputRows").asLong(),
        n.path("inputRowsPerSecond").asDouble(), n.path("processedRowsPerSecond").asDouble(),
        Map.of(), n.path("watermark").asText(), n.path("stateKeys").asLong(),
        n.path("stateCells").asLong(), n.path("stateBytes").asLong(),
        n.path("lateRowsDropped").asLong(), n.path("backlogBytes").asLong());
  }

  /** Counts {@code p} if it is new; true if it was. */
  boolean accept(EpochProgress p) {
    if (last != null && p.epoch() <= last.epoch()) {
      return false;
    }
    if (first < 0) {
      first = p.epoch();
    }
    epochs++;
    rows += p.inputRows();
    late += p.lateRowsDropped();
    last = p;
    return true;
  }

  /**
   * One line per epoch: rows, rates, durations, watermark. "Kafka commits" is the time the sinks
   * spent committing their transactions, summed over shards (so it can exceed "process", which
   * includes it).
   */
  static String line(EpochProgress p) {
    Map<String, Long> ms = p.durationMs();
    return String.format(
        Locale.ROOT,
        "epoch %3d: %5d rows, %6.0f rows/s in, %6.0f rows/s processed, %4d ms (read %d, process"
            + " %d, Kafka commits %d, checkpoint %d), watermark %s%s%s",
        p.epoch(),
        p.inputRows(),
        p.inputRowsPerSecond(),
        p.processedRowsPerSecond(),
        ms.getOrDefault("total", 0L),
        ms.getOrDefault("planOffsets", 0L),
        ms.getOrDefault("process", 0L),
        ms.getOrDefault("sinkCommit", 0L),
        ms.getOrDefault("offsetLog", 0L)
            + ms.getOrDefault("stateSnapshot", 0L)
            + ms.getOrDefault("commit", 0L),
        p.watermark(),
        p.lateRowsDropped() > 0 ? ", " + p.lateRowsDropped() + " late rows dropped" : "",
        p.replayed() ? " (replayed)" : "");
  }

  /** A progress watermark: ISO-8601, {@code -inf} or {@code +inf}. */
  static Instant watermark(String text) {
    switch (text) {
      case "-inf":
        return Instant.MIN;
      case "+inf":
        return Instant.MAX;
      default:
        return Instant.parse(text);
    }
  }
}
