package io.beamline.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Collected per-run wall times, and the text / markdown tables made from them. */
final class Results {

  /** Runs of one pipeline on one runner. */
  static final class Cell {
    final List<Double> warmupMs = new ArrayList<>();
    final List<Double> measuredMs = new ArrayList<>();
    /** Distinct result fingerprints of all runs (warm-ups included); more than one means a non-deterministic runner. */
    final Set<String> fingerprints = new LinkedHashSet<>();
    String error;

    boolean ok() {
      return error == null && !measuredMs.isEmpty();
    }

    /** The first run in a fresh JVM: warm-up 1, or measured run 1 when there are no warm-ups. */
    Double firstMs() {
      if (!warmupMs.isEmpty()) {
        return warmupMs.get(0);
      }
      return measuredMs.isEmpty() ? null : measuredMs.get(0);
    }
  }

  private final List<String> runners;
  private final List<String> pipelines;
  private final Map<String, Map<String, Cell>> cells = new LinkedHashMap<>();

  Results(List<String> runners, List<String> pipelines) {
    this.runners = runners;
    this.pipelines = pipelines;
    for (String p : pipelines) {
      Map<String, Cell> row = new LinkedHashMap<>();
      for (String r : runners) {
        row.put(r, new Cell());
      }
      cells.put(p, row);
    }
  }

  synchronized Cell cell(String pipeline, String runner) {
    return cells.computeIfAbsent(pipeline, k -> new LinkedHashMap<>()).computeIfAbsent(runner, k -> new Cell());
  }

  synchronized void recordRun(String pipeline, String runner, String phase, double ms, String fingerprint) {
    Cell c = cell(pipeline, runner);
    if (!fingerprint.isEmpty()) {
      c.fingerprints.add(fingerprint);
    }
    if ("warmup".equals(phase)) {
      c.warmupMs.add(ms);
    } else {
      c.measuredMs.add(ms);
    }
  }

  synchronized void recordError(String pipeline, String runner, String message) {
    Cell c = cell(pipeline, runner);
    if (c.error == null) {
      c.error = message;
    }
  }

  /** Marks every pipeline of {@code runner} that has no measured runs and no error yet as failed. */
  synchronized void failIncomplete(String runner, String message, int expectedIterations) {
    for (String p : pipelines) {
      Cell c = cell(p, runner);
      if (c.error == null && c.measuredMs.size() < expectedIterations) {
        c.error = message;
      }
    }
  }

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("no values");
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
  }

  /** {@code median(runner) / median(baseline)}: above 1 means the baseline (MicroBatchRunner) is faster. */
  synchronized String ratio(String pipeline, String runner) {
    if (!runners.contains(Runners.BASELINE)) {
      return "n/a";
    }
    Cell base = cell(pipeline, Runners.BASELINE);
    Cell c = cell(pipeline, runner);
    if (!base.ok()) {
      return "pending";
    }
    if (runner.equals(Runners.BASELINE)) {
      return "1.00";
    }
    if (!c.ok()) {
      return "n/a";
    }
    return String.format(Locale.ROOT, "%.2f", median(c.measuredMs) / median(base.measuredMs));
  }

  static final List<String> HEADER =
      List.of("pipeline", "runner", "median ms", "min ms", "max ms", "1st run ms", "runs", "runner/MicroBatch");

  synchronized List<List<String>> rows() {
    List<List<String>> rows = new ArrayList<>();
    for (String p : pipelines) {
      for (String r : runners) {
        Cell c = cell(p, r);
        List<String> row = new ArrayList<>();
        row.add(p);
        row.add(r);
        if (c.ok()) {
          row.add(fmt(median(c.measuredMs)));
          row.add(fmt(Collections.min(c.measuredMs)));
          row.add(fmt(Collections.max(c.measuredMs)));
          row.add(c.firstMs() == null ? "" : fmt(c.firstMs()));
          row.add(String.valueOf(c.measuredMs.size()));
        } else {
          row.add("FAILED");
          row.add("");
          row.add("");
          row.add("");
          row.add(String.valueOf(c.measuredMs.size()));
        }
        row.add(ratio(p, r));
        rows.add(row);
      }
    }
    return rows;
  }

  /** Failures, one line each: failed runs, and results that differ between runs or runners. */
  synchronized List<String> errors() {
    List<String> out = new ArrayList<>();
    for (String p : pipelines) {
      Map<String, Set<String>> resultsByRunner = new LinkedHashMap<>();
      for (String r : runners) {
        Cell c = cell(p, r);
        if (c.error != null) {
          out.add(p + " on " + r + ": " + c.error);
        }
        if (c.fingerprints.size() > 1) {
          out.add(p + " on " + r + ": results differ between runs: " + c.fingerprints);
        }
        if (!c.fingerprints.isEmpty()) {
          resultsByRunner.put(r, c.fingerprints);
        }
      }
      if (new LinkedHashSet<>(resultsByRunner.values()).size() > 1) {
        out.add(p + ": results differ between runners: " + resultsByRunner);
      }
    }
    return out;
  }

  /** Per pipeline, the result fingerprint when every runner that finished produced the same one. */
  synchronized List<String> agreedResults() {
    List<String> out = new ArrayList<>();
    for (String p : pipelines) {
      Set<String> all = new LinkedHashSet<>();
      List<String> who = new ArrayList<>();
      for (String r : runners) {
        Cell c = cell(p, r);
        if (!c.fingerprints.isEmpty()) {
          all.addAll(c.fingerprints);
          who.add(r);
        }
      }
      if (all.size() == 1) {
        out.add(p + ": " + all.iterator().next() + " on " + String.join(", ", who));
      }
    }
    return out;
  }

  /** Visits every (pipeline, runner) cell in table order. */
  interface CellVisitor {
    void visit(String pipeline, String runner, Cell cell);
  }

  synchronized void forEachCell(CellVisitor visitor) {
    for (String p : pipelines) {
      for (String r : runners) {
        visitor.visit(p, r, cell(p, r));
      }
    }
  }

  /** Median of {@code pipeline} on {@code runner}, or null. */
  synchronized Double medianOf(String pipeline, String runner) {
    Cell c = cell(pipeline, runner);
    return c.ok() ? median(c.measuredMs) : null;
  }

  static String fmt(double ms) {
    return String.format(Locale.ROOT, "%.0f", ms);
  }

  static String textTable(List<String> header, List<List<String>> rows) {
    int[] width = new int[header.size()];
    for (int i = 0; i < header.size(); i++) {
      width[i] = header.get(i).length();
    }
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        width[i] = Math.max(width[i], row.get(i).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    appendTextRow(sb, header, width);
    StringBuilder rule = new StringBuilder();
    for (int i = 0; i < width.length; i++) {
      rule.append(i == 0 ? "" : "-+-").append("-".repeat(width[i]));
    }
    sb.append(rule).append('\n');
    for (List<String> row : rows) {
      appendTextRow(sb, row, width);
    }
    return sb.toString();
  }

  private static void appendTextRow(StringBuilder sb, List<String> row, int[] width) {
    for (int i = 0; i < row.size(); i++) {
      String cell = row.get(i);
      sb.append(i == 0 ? "" : " | ");
      // left-align the two name columns, right-align the numbers
      sb.append(i < 2 ? pad(cell, width[i], false) : pad(cell, width[i], true));
    }
    sb.append('\n');
  }

  private static String pad(String s, int width, boolean right) {
    String fill = " ".repeat(Math.max(0, width - s.length()));
    return right ? fill + s : s + fill;
  }

  static String markdownTable(List<String> header, List<List<String>> rows) {
    return markdownTable(header, rows, 2);
  }

  /** A Markdown table whose first {@code leftColumns} columns are left-aligned, the others right-aligned. */
  static String markdownTable(List<String> header, List<List<String>> rows, int leftColumns) {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(String.join(" | ", header)).append(" |\n");
    sb.append('|');
    for (int i = 0; i < header.size(); i++) {
      sb.append(i < leftColumns ? "---|" : "---:|");
    }
    sb.append('\n');
    for (List<String> row : rows) {
      sb.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
    return sb.toString();
  }
}
