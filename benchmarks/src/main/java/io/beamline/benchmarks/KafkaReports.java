package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The result tables of {@link KafkaBenchmarks}' modes, in Markdown (also readable as text). */
final class KafkaReports {
  private KafkaReports() {}

  static String latencyReport(List<ObjectNode> runs) {
    List<List<String>> rows = new ArrayList<>();
    List<List<String>> where = new ArrayList<>();
    for (ObjectNode run : runs) {
      JsonNode v = run.path("visibleMs");
      JsonNode s = run.path("stampedMs");
      rows.add(List.of(
          run.path("system").asText(),
          run.path("interval").asText(),
          String.valueOf(run.path("iteration").asInt()),
          Percentiles.fmt(run.path("rate").asDouble(), 0),
          String.valueOf(v.path("count").asLong()),
          num(v, "p50", 0), num(v, "p90", 0), num(v, "p99", 0), num(v, "max", 0),
          num(s, "p50", 0), num(s, "p90", 0), num(s, "p99", 0), num(s, "max", 0),
          micros(run, "p50"), micros(run, "p90"), micros(run, "p99")));
      where.add(whereRow(run));
    }
    StringBuilder sb = new StringBuilder();
    sb.append(Results.markdownTable(List.of("system", "interval", "run", "records/s", "measured records",
        "visible p50 ms", "p90", "p99", "max", "stamped p50 ms", "p90", "p99", "max", "visible p50 ms (ns clock)",
        "p90", "p99"), rows, 3));
    sb.append("\nVisible = driver's read_committed consumer got it − input record's Kafka timestamp; stamped ="
        + " output record's Kafka timestamp (sink's producer at send) − input's; both on millisecond clocks."
        + " Visible (ns clock) = the same interval on the driver's System.nanoTime(), from right before the"
        + " record is handed to the load producer, in ms with two decimals.\n\n");
    sb.append(whereTable(where));
    return sb.toString();
  }

  /** A percentile of the run's visible latency on the nanosecond clock, in ms with two decimals. */
  private static String micros(JsonNode run, String percentile) {
    JsonNode v = run.path("visibleUs").path(percentile);
    return v.isMissingNode() ? "" : Percentiles.fmt(v.asDouble() / 1000, 2);
  }

  static String throughputReport(List<ObjectNode> runs) {
    List<List<String>> rows = new ArrayList<>();
    List<List<String>> where = new ArrayList<>();
    for (ObjectNode run : runs) {
      rows.add(List.of(
          run.path("system").asText(),
          run.path("interval").asText(),
          String.valueOf(run.path("iteration").asInt()),
          String.format(Locale.ROOT, "%,d", run.path("records").asLong()),
          num(run, "seconds", 2),
          run.has("recordsPerSecond") ? String.format(Locale.ROOT, "%,.0f", run.path("recordsPerSecond").asDouble())
              : "FAILED",
          num(run, "firstOutputSeconds", 2),
          run.path("result").asText()));
      where.add(whereRow(run));
    }
    StringBuilder sb = new StringBuilder();
    sb.append(Results.markdownTable(List.of("system", "interval", "run", "records", "seconds", "records/s",
        "first output after s", "verified"), rows, 3));
    sb.append("\nSeconds = from the start command to the child (JVM up and warm) until the driver's read_committed"
        + " consumer has every record.\n\n");
    sb.append(whereTable(where));
    return sb.toString();
  }

  private static List<String> whereRow(JsonNode run) {
    JsonNode child = run.path("child");
    JsonNode e = child.path("epochs");
    JsonNode t = child.path("transactions");
    if (!e.isMissingNode()) {
      JsonNode ph = e.path("phasesMs");
      return List.of(run.path("system").asText(), run.path("interval").asText(),
          String.valueOf(run.path("iteration").asInt()),
          e.path("epochs").asText() + " epochs",
          String.format(Locale.ROOT, "%,.0f", e.path("inputRows").asDouble() / Math.max(1, e.path("epochs").asInt())),
          medP99(ph.path("planOffsets")), medP99(ph.path(EpochStats.AFTER_READ)), medP99(ph.path("process")),
          medP99(ph.path("sinkCommit")), medP99(ph.path("offsetLog")), medP99(ph.path("stateSnapshot")),
          medP99(ph.path("commit")));
    }
    if (!t.isMissingNode()) {
      return List.of(run.path("system").asText(), run.path("interval").asText(),
          String.valueOf(run.path("iteration").asInt()),
          t.path("count").asText() + " transactions",
          String.format(Locale.ROOT, "%,.0f", t.path("recordsMean").asDouble()), "", "", "",
          Percentiles.fmt(t.path("commitMedianMs").asDouble(), 1) + " / "
              + Percentiles.fmt(t.path("commitP99Ms").asDouble(), 1), "", "", "");
    }
    return List.of(run.path("system").asText(), run.path("interval").asText(),
        String.valueOf(run.path("iteration").asInt()), "", "", "", "", "", "", "", "", "");
  }

  private static String whereTable(List<List<String>> rows) {
    return "Where the time goes. MicroBatchRunner: per epoch, from `progress.jsonl` (latency: the epochs that started"
        + " while the measured records were sent), `durationMs` median / p99 in whole ms (truncated); work = total −"
        + " planOffsets (planOffsets includes waiting for the interval's deadline); sinkCommit = the Kafka sink's"
        + " flush + sendOffsetsToTransaction + commitTransaction summed over its shards, which commit in parallel"
        + " inside process. Loop: per transaction, sendOffsetsToTransaction + commitTransaction (at-least-once:"
        + " flush + commitSync), median / p99 ms; records per epoch / transaction are means.\n\n"
        + Results.markdownTable(List.of("system", "interval", "run", "epochs / transactions", "records per epoch / txn",
            "planOffsets", "work", "process", "sinkCommit / commit", "offsetLog", "stateSnapshot", "commit"), rows, 3);
  }

  private static String medP99(JsonNode phase) {
    if (phase.isMissingNode()) {
      return "";
    }
    return Percentiles.fmt(phase.path("median").asDouble(), 0) + " / " + Percentiles.fmt(phase.path("p99").asDouble(), 0);
  }

  static String num(JsonNode node, String field, int decimals) {
    JsonNode v = node.path(field);
    return v.isMissingNode() ? "" : Percentiles.fmt(v.asDouble(), decimals);
  }
}
