package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import io.beamline.benchmarks.StreamingBenchmarks.ChildResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The result tables of {@link StreamingBenchmarks}' modes, in Markdown (also readable as text), from what the
 * child JVMs reported.
 */
final class StreamingReports {
  private StreamingReports() {}

  /** The result tables of {@code mode} in Markdown (also readable as text). */
  static String report(String mode, List<ChildResult> results, Map<String, String> opts) {
    switch (mode) {
      case StreamingBenchmarks.EPOCH_COST:
        return epochCostReport(results);
      case StreamingBenchmarks.LATENCY:
        return latencyReport(results);
      case StreamingBenchmarks.UI_OVERHEAD:
        return uiOverheadReport(results);
      default:
        return statefulReport(results);
    }
  }

  static String epochCostReport(List<ChildResult> results) {
    List<List<String>> rows = new ArrayList<>();
    List<List<String>> phaseRows = new ArrayList<>();
    StringBuilder probes = new StringBuilder();
    for (ChildResult r : results) {
      for (JsonNode run : r.measured()) {
        JsonNode e = run.path("epochs");
        JsonNode total = e.path("phasesMs").path("total");
        JsonNode period = e.path("periodMs");
        rows.add(List.of(
            r.job.variant(),
            e.path("epochs").asText(),
            e.path("inputRows").asText(),
            num(total, "median", 0),
            num(total, "p99", 0),
            num(total, "max", 0),
            num(period, "median", 2),
            num(period, "p99", 2),
            num(period, "mean", 2),
            Percentiles.fmt(run.path("ms").asDouble() / 1000, 1),
            e.path("maxStateKeys").asText(),
            e.path("lastStateBytes").asText()));
        List<String> phaseRow = new ArrayList<>();
        phaseRow.add(r.job.variant());
        for (String phase : EpochStats.PHASES) {
          JsonNode p = e.path("phasesMs").path(phase);
          phaseRow.add(num(p, "median", 0) + " / " + num(p, "p99", 0) + " / " + num(p, "mean", 2));
        }
        phaseRows.add(phaseRow);
      }
      for (JsonNode probe : r.probes) {
        probes.append(String.format(Locale.ROOT, "- `%s`: median %.2f ms, p99 %.2f ms, max %.2f ms over %d writes%n",
            r.job.variant(), probe.path("median").asDouble(), probe.path("p99").asDouble(),
            probe.path("max").asDouble(), probe.path("writes").asInt()));
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(Results.markdownTable(List.of("checkpoint", "epochs", "rows", "total median ms", "total p99 ms",
        "total max ms", "period median ms", "period p99 ms", "period mean ms", "run s", "state keys",
        "state bytes"), rows, 1));
    sb.append("\nPer phase, `durationMs` median / p99 / mean (whole ms, truncated by the runner):\n\n");
    List<String> header = new ArrayList<>();
    header.add("checkpoint");
    header.addAll(EpochStats.PHASES);
    sb.append(Results.markdownTable(header, phaseRows, 1));
    if (probes.length() > 0) {
      sb.append("\nOne `CheckpointFiles.write` of 256 bytes (temp file, write, fsync, rename, fsync of the"
          + " directory), in a fresh directory next to the checkpoint directory:\n\n").append(probes);
    }
    sb.append(loads(results));
    return sb.toString();
  }

  static String latencyReport(List<ChildResult> results) {
    List<List<String>> rows = new ArrayList<>();
    for (ChildResult r : results) {
      for (JsonNode run : r.measured()) {
        JsonNode l = run.path("latencyMs");
        JsonNode e = run.path("epochs");
        rows.add(List.of(
            r.job.runner(),
            r.job.variant(),
            Percentiles.fmt(run.path("rate").asDouble(), 0),
            run.path("records").asText(),
            Percentiles.fmt(run.path("seconds").asDouble(), 0),
            num(l, "p50", 0),
            num(l, "p90", 0),
            num(l, "p99", 0),
            num(l, "max", 0),
            e.isMissingNode() ? "" : e.path("epochs").asText(),
            e.isMissingNode() ? "" : num(e.path("phasesMs").path(EpochStats.AFTER_READ), "median", 0),
            e.isMissingNode() ? "" : num(e.path("phasesMs").path(EpochStats.AFTER_READ), "p99", 0)));
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(Results.markdownTable(List.of("runner", "batchInterval", "records/s", "records", "seconds",
        "p50 ms", "p90 ms", "p99 ms", "max ms", "epochs", "epoch work median ms", "epoch work p99 ms"), rows));
    sb.append("\nEpoch work = `durationMs.total - durationMs.planOffsets` per epoch (planOffsets includes waiting for"
        + " input until the interval's deadline).\n");
    sb.append(verified(results)).append(loads(results));
    return sb.toString();
  }

  /**
   * Throughput with the web UI off and on: every measured run of each variant pooled, medians
   * compared; the cost is {@code 1 - on / off} of the records per second. Then the same for the job's
   * CPU time per record ({@code on / off - 1}), which the load of a shared machine moves far less than
   * wall-clock throughput: a job that spends 2% more CPU per record loses 2% of its throughput on a
   * machine it keeps busy.
   */
  static String uiOverheadReport(List<ChildResult> results) {
    Map<String, List<Double>> rates = new java.util.LinkedHashMap<>();
    Map<String, Long> scrapes = new java.util.HashMap<>();
    double scrapeMs = 0;
    double serverCpuMs = 0;
    double serverAllocated = 0;
    double allAllocated = 0;
    double gcMs = 0;
    double runMs = 0;
    for (ChildResult r : results) {
      for (JsonNode m : r.measured()) {
        rates.computeIfAbsent(r.job.variant(), v -> new ArrayList<>()).add(m.path("recordsPerSecond").asDouble());
        scrapes.merge(r.job.variant(), m.path("scrapes").asLong(), Long::sum);
        if ("ui-on".equals(r.job.variant())) {
          scrapeMs += m.path("scrapeMs").asDouble();
          serverCpuMs += m.path("serverCpuMs").asDouble();
          serverAllocated += m.path("serverAllocatedBytes").asDouble();
          allAllocated += m.path("allAllocatedBytes").asDouble();
          gcMs += m.path("gcMs").asDouble();
          runMs += m.path("ms").asDouble();
        }
      }
    }
    List<List<String>> rows = new ArrayList<>();
    for (Map.Entry<String, List<Double>> e : rates.entrySet()) {
      Percentiles p = Percentiles.of(e.getValue());
      rows.add(List.of(
          e.getKey(),
          String.valueOf(e.getValue().size()),
          String.format(Locale.ROOT, "%,.0f", Results.median(e.getValue())),
          String.format(Locale.ROOT, "%,.0f", p.min()),
          String.format(Locale.ROOT, "%,.0f", p.max()),
          String.valueOf(scrapes.getOrDefault(e.getKey(), 0L))));
    }
    StringBuilder sb = new StringBuilder();
    sb.append(Results.markdownTable(
        List.of("web UI", "runs", "records/s (median)", "min", "max", "scrapes (all runs)"), rows));
    sb.append(cpuPerRecord(results));
    List<Double> off = rates.getOrDefault("ui-off", List.of());
    List<Double> on = rates.getOrDefault("ui-on", List.of());
    if (!off.isEmpty() && !on.isEmpty()) {
      double cost = 1 - Results.median(on) / Results.median(off);
      // rounds: an off child and the on child after it, compared by their medians, so that a
      // machine whose load drifts over the run affects both sides of each pair alike
      List<Double> pairCosts = new ArrayList<>();
      List<String> pairs = new ArrayList<>();
      for (int i = 0; i + 1 < results.size(); i += 2) {
        List<Double> a = new ArrayList<>();
        List<Double> b = new ArrayList<>();
        results.get(i).measured().forEach(m -> a.add(m.path("recordsPerSecond").asDouble()));
        results.get(i + 1).measured().forEach(m -> b.add(m.path("recordsPerSecond").asDouble()));
        if (!a.isEmpty() && !b.isEmpty()) {
          double c = 1 - Results.median(b) / Results.median(a);
          pairCosts.add(c);
          pairs.add(String.format(Locale.ROOT, "%+.1f%%", c * 100));
        }
      }
      sb.append(String.format(Locale.ROOT,
          "%nCost of the web UI and /metrics: %.1f%% of throughput (median records/s of all runs, on vs off);"
              + " per round (off child, then on child): %s, median %.1f%%.%n",
          cost * 100, String.join(", ", pairs), pairCosts.isEmpty() ? Double.NaN : Results.median(pairCosts) * 100));
    }
    if (runMs > 0) {
      sb.append(String.format(Locale.ROOT,
          "%nTime the scrapes took (request to last byte of /metrics, /api/job, /api/progress, on the server's one"
              + " thread): %.0f ms in %.0f ms of ui-on runs, %.2f%% of the run time of one of the machine's cores.%n",
          scrapeMs, runMs, 100 * scrapeMs / runMs));
      int cores = Runtime.getRuntime().availableProcessors();
      sb.append(String.format(Locale.ROOT,
          "%nCPU time of the server's threads (dispatcher and handler, ThreadMXBean): %.0f ms in %.0f ms of ui-on"
              + " runs on %d cores, %.2f%% of the machine's CPU time over those runs.%n",
          serverCpuMs, runMs, cores, 100 * serverCpuMs / (runMs * cores)));
      if (allAllocated > 0) {
        double allocShare = serverAllocated / allAllocated;
        double gcShare = gcMs / (runMs * cores);
        double bound = serverCpuMs / (runMs * cores) + allocShare * gcShare;
        sb.append(String.format(Locale.ROOT,
            "%nBytes the server's threads allocated: %.1f MB of %.1f MB all the job's threads allocated (%.2f%%);"
                + " the collectors ran %.0f ms (%.2f%% of the machine's time over those runs), so the garbage of the"
                + " UI accounts for about %.4f%% of it.%n"
                + "%n**The UI's cost, accounted**: its server's CPU plus its share of garbage collection,"
                + " **%.2f%% of the machine's CPU time** (target ≤ 2%%).%n",
            serverAllocated / 1e6, allAllocated / 1e6, 100 * allocShare, gcMs, 100 * gcShare,
            100 * allocShare * gcShare, 100 * bound));
      }
    }
    sb.append(verified(results)).append(loads(results));
    return sb.toString();
  }

  /**
   * The job's CPU time per record (process CPU minus the scraping client's), off vs on: pooled medians
   * and per round (an off child, then an on child).
   */
  private static String cpuPerRecord(List<ChildResult> results) {
    Map<String, List<Double>> micros = new LinkedHashMap<>();
    for (ChildResult r : results) {
      micros.computeIfAbsent(r.job.variant(), v -> new ArrayList<>())
          .addAll(pluck(r.measured(), "cpuMicrosPerRecord"));
    }
    List<Double> off = micros.getOrDefault("ui-off", List.of());
    List<Double> on = micros.getOrDefault("ui-on", List.of());
    if (off.isEmpty() || on.isEmpty()) {
      return "";
    }
    List<Double> pairCosts = new ArrayList<>();
    for (int i = 0; i + 1 < results.size(); i += 2) {
      List<Double> a = pluck(results.get(i).measured(), "cpuMicrosPerRecord");
      List<Double> b = pluck(results.get(i + 1).measured(), "cpuMicrosPerRecord");
      if (!a.isEmpty() && !b.isEmpty()) {
        pairCosts.add(Results.median(b) / Results.median(a) - 1);
      }
    }
    List<String> pairs = new ArrayList<>();
    pairCosts.forEach(c -> pairs.add(String.format(Locale.ROOT, "%+.1f%%", c * 100)));
    Percentiles offP = Percentiles.of(off);
    Percentiles onP = Percentiles.of(on);
    return String.format(Locale.ROOT,
        "%nCPU time of the job per record (the process's CPU time, all threads including GC, JIT and the UI"
            + " server, minus the scraping client's): ui-off median %.3f µs (%.3f–%.3f), ui-on median %.3f µs"
            + " (%.3f–%.3f): **the web UI and /metrics cost %+.1f%% CPU per record**; per round (off child, then"
            + " on child): %s, median %+.1f%%.%n",
        Results.median(off), offP.min(), offP.max(), Results.median(on), onP.min(), onP.max(),
        (Results.median(on) / Results.median(off) - 1) * 100, String.join(", ", pairs),
        pairCosts.isEmpty() ? Double.NaN : Results.median(pairCosts) * 100);
  }

  static String statefulReport(List<ChildResult> results) {
    List<List<String>> rows = new ArrayList<>();
    for (ChildResult r : results) {
      List<JsonNode> measured = r.measured();
      if (measured.isEmpty()) {
        rows.add(List.of(r.job.runner(), r.job.variant(), "FAILED", "", "", "", "0", "", "", "", "", "", ""));
        continue;
      }
      List<Double> ms = new ArrayList<>();
      measured.forEach(m -> ms.add(m.path("ms").asDouble()));
      Percentiles p = Percentiles.of(ms);
      double median = Results.median(ms);
      JsonNode any = measured.get(0);
      long records = any.path("records").asLong();
      Percentiles epochs = Percentiles.of(pluck(measured, "epochs", "epochs"));
      Percentiles snapshot = Percentiles.of(pluck(measured, "epochs", "phasesMs", "stateSnapshot", "median"));
      Percentiles bytes = Percentiles.of(pluck(measured, "epochs", "maxStateBytes"));
      if (snapshot.count() == 0) { // RealtimeRunner: barrier checkpoints
        epochs = Percentiles.of(pluck(measured, "checkpoints", "count"));
        snapshot = Percentiles.of(pluck(measured, "checkpoints", "writeMs", "p50"));
        bytes = Percentiles.of(pluck(measured, "checkpoints", "maxStateBytes"));
      }
      Percentiles rocksDb = Percentiles.of(pluck(measured, "checkpoints", "rocksDbSnapshotMs", "p50"));
      Percentiles rocksDbMax = Percentiles.of(pluck(measured, "checkpoints", "rocksDbSnapshotMs", "max"));
      Percentiles rocksDbBytes = Percentiles.of(pluck(measured, "checkpoints", "maxRocksDbBytes"));
      rows.add(List.of(
          r.job.runner(),
          r.job.variant(),
          Results.fmt(median),
          Results.fmt(p.min()),
          Results.fmt(p.max()),
          r.firstRun() == null ? "" : Results.fmt(r.firstRun().path("ms").asDouble()),
          String.valueOf(measured.size()),
          String.format(Locale.ROOT, "%,.0f", records / (median / 1000)),
          epochs.count() == 0 ? "" : Percentiles.fmt(epochs.median(), 0),
          snapshot.count() == 0 ? "" : Percentiles.fmt(snapshot.median(), 0),
          bytes.count() == 0 ? "" : String.format(Locale.ROOT, "%,.0f", bytes.max()),
          rocksDb.count() == 0 ? "" : Percentiles.fmt(rocksDb.median(), 0) + " / " + Percentiles.fmt(rocksDbMax.max(), 0),
          rocksDbBytes.count() == 0 ? "" : String.format(Locale.ROOT, "%,.0f", rocksDbBytes.max())));
    }
    StringBuilder sb = new StringBuilder();
    sb.append(Results.markdownTable(List.of("runner", "checkpoint", "median ms", "min ms", "max ms", "1st run ms",
        "runs", "records/s (median)", "epochs / checkpoints", "stateSnapshot (realtime: write) median ms",
        "snapshot bytes (max)", "RocksDB snapshot median / max ms", "RocksDB bytes (max)"), rows));
    sb.append(verified(results)).append(loads(results));
    return sb.toString();
  }

  private static List<Double> pluck(List<JsonNode> runs, String... path) {
    List<Double> out = new ArrayList<>();
    for (JsonNode run : runs) {
      JsonNode n = run;
      for (String p : path) {
        n = n.path(p);
      }
      if (!n.isMissingNode()) {
        out.add(n.asDouble());
      }
    }
    return out;
  }

  private static String num(JsonNode node, String field, int decimals) {
    JsonNode v = node.path(field);
    return v.isMissingNode() ? "" : Percentiles.fmt(v.asDouble(), decimals);
  }

  private static String verified(List<ChildResult> results) {
    Map<String, Set<String>> byResult = new LinkedHashMap<>();
    for (ChildResult r : results) {
      for (JsonNode run : r.runs) {
        byResult.computeIfAbsent(run.path("result").asText(), k -> new LinkedHashSet<>())
            .add(r.job.runner() + (r.job.variant().equals("-") ? "" : " " + r.job.variant()));
      }
    }
    StringBuilder sb = new StringBuilder("\nVerified results:\n\n");
    byResult.forEach((res, who) -> sb.append("- `").append(res).append("` on ").append(String.join(", ", who))
        .append('\n'));
    return sb.toString();
  }

  private static String loads(List<ChildResult> results) {
    StringBuilder sb = new StringBuilder("\nLoad average (1/5/15 min) at start -> end of each child: ");
    for (int i = 0; i < results.size(); i++) {
      ChildResult r = results.get(i);
      sb.append(i == 0 ? "" : "; ").append(r.job.runner()).append(' ').append(r.job.variant()).append(' ')
          .append(r.load);
    }
    sb.append('\n');
    for (ChildResult r : results) {
      r.errors.forEach(e -> sb.append("\nFAILED: ").append(r.job.runner()).append(' ').append(r.job.variant())
          .append(": ").append(e.replace("|", "\\|")).append('\n'));
    }
    return sb.toString();
  }
}
