package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import io.beamline.benchmarks.NexmarkBenchmarks.Child;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The tables of {@link NexmarkBenchmarks}, in Markdown (also readable as text). */
final class NexmarkReport {

  static final List<String> HEADER =
      List.of("query", "runner", "events", "median ms", "min ms", "max ms", "events/s", "events/s/core",
          "vs FlinkRunner", "model check", "results");

  private NexmarkReport() {}

  /** Median wall time of the measured runs of query {@code q}, or null. */
  static Double medianMs(Child c, int q) {
    List<Double> ms = measuredMs(c, q);
    return ms.isEmpty() ? null : Results.median(ms);
  }

  private static List<Double> measuredMs(Child c, int q) {
    List<Double> ms = new ArrayList<>();
    for (JsonNode run : c.of("run", q)) {
      if ("measure".equals(run.path("phase").asText())) {
        ms.add(run.path("ms").asDouble());
      }
    }
    return ms;
  }

  /** Events per second of query {@code q} on child {@code c} (events / median wall time), or null. */
  static Double eventsPerSecond(Child c, int q) {
    Double median = medianMs(c, q);
    return median == null ? null : c.job.events() / (median / 1000);
  }

  private static Child flink(List<Child> children) {
    for (Child c : children) {
      if (Runners.FLINK.equals(c.job.runner())) {
        return c;
      }
    }
    return null;
  }

  static String table(List<Child> children, List<Integer> queries, int cores, List<String> failures) {
    List<List<String>> rows = new ArrayList<>();
    Child flink = flink(children);
    for (int q : queries) {
      for (Child c : children) {
        String who = "q" + q + " " + c.job.mode() + " on " + c.job.runner();
        List<JsonNode> errors = c.of("error", q);
        errors.forEach(e -> failures.add(who + " (" + e.path("phase").asText() + "): " + e.path("message").asText()));
        List<JsonNode> checks = c.of("check", q);
        String model = checks.isEmpty() ? "not run" : checks.get(0).path("model").asText();
        if (model.startsWith("failed")) {
          failures.add(who + ": model check " + model);
          model = "FAILED";
        }
        List<Double> ms = measuredMs(c, q);
        List<String> row = new ArrayList<>();
        row.add("q" + q);
        row.add(c.job.runner());
        row.add(String.format(Locale.ROOT, "%,d", c.job.events()));
        if (ms.isEmpty()) {
          row.addAll(List.of(errors.isEmpty() ? "" : "FAILED", "", "", "", "", ""));
        } else {
          double median = Results.median(ms);
          double eps = c.job.events() / (median / 1000);
          Double flinkEps = flink == null || flink.job.events() != c.job.events() ? null : eventsPerSecond(flink, q);
          row.add(Results.fmt(median));
          row.add(Results.fmt(ms.stream().mapToDouble(Double::doubleValue).min().getAsDouble()));
          row.add(Results.fmt(ms.stream().mapToDouble(Double::doubleValue).max().getAsDouble()));
          row.add(String.format(Locale.ROOT, "%,.0f", eps));
          row.add(String.format(Locale.ROOT, "%,.0f", eps / cores));
          row.add(flinkEps == null ? "" : String.format(Locale.ROOT, "%.2f", eps / flinkEps));
        }
        row.add(model);
        List<JsonNode> runs = c.of("run", q);
        row.add(runs.isEmpty() ? "" : runs.get(runs.size() - 1).path("results").asText());
        rows.add(row);
      }
    }
    return Results.markdownTable(HEADER, rows)
        + "\nvs FlinkRunner = events/s of the runner / events/s of FlinkRunner (same query, mode and events; above"
        + " 1: faster). Model check: Nexmark's model of the query against the check run's results (none: the query"
        + " has no model). Results: result count of the last timed run (panes included).\n";
  }

  /** Whether every runner's results agree, per query: the check runs' digests and the timed runs'. */
  static String digests(List<Child> children, List<Integer> queries, List<String> failures) {
    StringBuilder sb = new StringBuilder("\nResult digests (`items:hash`, see NexmarkDigest):\n\n");
    for (int q : queries) {
      Map<String, Set<String>> check = new LinkedHashMap<>();
      Map<String, Set<String>> timed = new LinkedHashMap<>();
      for (Child c : children) {
        for (JsonNode n : c.of("check", q)) {
          check.computeIfAbsent(n.path("digest").asText(), k -> new LinkedHashSet<>()).add(c.job.runner());
        }
        Set<String> own = new LinkedHashSet<>();
        for (JsonNode n : c.of("run", q)) {
          own.add(n.path("digest").asText());
          timed.computeIfAbsent(n.path("events").asLong() + " events: " + n.path("digest").asText(),
              k -> new LinkedHashSet<>()).add(c.job.runner());
        }
        if (own.size() > 1) {
          failures.add("q" + q + " " + c.job.mode() + " on " + c.job.runner() + ": digests differ between runs " + own);
        }
      }
      sb.append("- q").append(q).append(" check: ").append(describe(check));
      sb.append("; timed: ").append(describe(timed)).append('\n');
      if (check.size() > 1) {
        failures.add("q" + q + " " + children.get(0).job.mode() + ": check digests differ between runners " + check);
      }
      Map<String, Set<String>> byEvents = new LinkedHashMap<>();
      timed.forEach((k, v) -> byEvents.computeIfAbsent(k.substring(0, k.indexOf(':')), e -> new LinkedHashSet<>())
          .add(k));
      byEvents.forEach((events, digests) -> {
        if (digests.size() > 1) {
          failures.add("q" + q + " " + children.get(0).job.mode() + ": timed digests differ between runners ("
              + events + ") " + digests);
        }
      });
    }
    return sb.toString();
  }

  private static String describe(Map<String, Set<String>> digests) {
    if (digests.isEmpty()) {
      return "none";
    }
    List<String> parts = new ArrayList<>();
    digests.forEach((d, who) -> parts.add("`" + d + "` on " + String.join(", ", who)));
    return (digests.size() == 1 ? "" : "DIFFER: ") + String.join(" | ", parts);
  }

  /** The batch targets for MicroBatchRunner, met or not. */
  static String targets(List<Child> children, List<Integer> queries, int cores) {
    Child mb = null;
    for (Child c : children) {
      if (Runners.MICRO_BATCH.equals(c.job.runner())) {
        mb = c;
      }
    }
    Child flink = flink(children);
    if (mb == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder("\nTargets (MicroBatchRunner, batch):\n\n");
    for (int q : queries) {
      Double eps = eventsPerSecond(mb, q);
      if (eps == null) {
        continue;
      }
      double perCore = eps / cores;
      String target = q <= 2 ? " (target ≥ 500,000: " + (perCore >= 500_000 ? "met" : "not met") + ")"
          : q == 5 ? " (target ≥ 100,000: " + (perCore >= 100_000 ? "met" : "not met") + ")" : "";
      Double flinkEps = flink == null || flink.job.events() != mb.job.events() ? null : eventsPerSecond(flink, q);
      String vsFlink = flinkEps == null ? "" : String.format(Locale.ROOT, "; %.2f× FlinkRunner (%s)",
          eps / flinkEps, eps > flinkEps ? "faster" : "NOT faster");
      sb.append(String.format(Locale.ROOT, "- q%d: %,.0f events/s/core%s%s%n", q, perCore, target, vsFlink));
    }
    return sb.toString();
  }
}
