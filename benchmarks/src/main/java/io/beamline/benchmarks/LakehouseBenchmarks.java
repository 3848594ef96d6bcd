package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Iceberg sink's cost on MicroBatchRunner, started by {@code benchmarks/run.sh lakehouse [options]}; one child
 * JVM ({@link LakehouseWorker}) per measurement, one after the other:
 *
 * <ul>
 *   <li><b>throughput</b>: {@code --records=1m} flight-like rows as fast as the source gives them, {@code
 *       --interval=1s} epochs of up to {@code --max-records=200k}, at {@code --parallelisms=1,2}, into {@code
 *       IcebergIO.write()} and, as the baseline, into a sink that drops the rows (same pipeline, same runner):
 *       rows/s, rows/s per core (rows/s ÷ parallelism) and the commit time per epoch ({@code sinkCommit}: the
 *       committer's refresh, marker check and {@code AppendFiles}, from {@code progress.jsonl}). The floor: the
 *       same rows written by one thread straight through Iceberg's {@code GenericAppenderFactory}.
 *   <li><b>near-empty</b>: about one row per epoch at {@code --intervals=1s,100ms} for {@code
 *       --near-empty-seconds=40} each (the first 5 epochs with rows left out), into {@code IcebergIO.write()} and into the dropping sink: the epoch's
 *       duration (median, p99) and its {@code sinkCommit}. Every such epoch writes one Parquet file and commits one
 *       snapshot.
 * </ul>
 *
 * <p>Options: {@code --parts=throughput,near-empty}, {@code --heap=2g}, {@code --tmp-dir} (checkpoints and
 * warehouses; default {@code java.io.tmpdir}), {@code --log-dir}, {@code --timeout-minutes=20}, {@code
 * --markdown[=FILE]}.
 */
public final class LakehouseBenchmarks {
  static final String MODE = "lakehouse";

  private LakehouseBenchmarks() {}

  static boolean isMode(String arg) {
    return MODE.equals(arg);
  }

  static void main(String mode, String[] args) throws Exception {
    Map<String, String> opts = Args.parse(args);
    List<String> parts = Args.list(opts, "parts", List.of("throughput", "near-empty"));
    String heap = opts.getOrDefault("heap", "2g");
    int timeout = Args.intValue(opts, "timeout-minutes", 20);
    Path tmp = Path.of(opts.getOrDefault("tmp-dir", System.getProperty("java.io.tmpdir")));
    Path logDir = Path.of(opts.getOrDefault("log-dir", "benchmarks/target/benchmark-logs"));
    Files.createDirectories(logDir);
    String javaBin = opts.getOrDefault("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    Map<String, String> machine = MachineInfo.collect(javaBin);
    String launcher = System.getenv().getOrDefault("BEAMLINE_BENCH_LAUNCHER", "BenchmarkMain");
    String command = (launcher + " " + mode + " " + String.join(" ", args)).trim();
    System.out.println("== Beamline lakehouse benchmark ==");
    machine.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-7s %s%n", k + ":", v));
    String classpath = BenchmarkMain.classpath();
    StringBuilder body = new StringBuilder();

    if (parts.contains("throughput")) {
      String records = Long.toString(StreamingWorker.parseSize(opts.getOrDefault("records", "1m")));
      String maxRecords = Long.toString(StreamingWorker.parseSize(opts.getOrDefault("max-records", "200k")));
      String interval = opts.getOrDefault("interval", "1s");
      body.append("Throughput: ").append(records).append(" rows, ").append(interval)
          .append(" epochs of up to ").append(maxRecords).append(" rows\n\n");
      body.append("| sink | parallelism | seconds | rows/s | rows/s per core | epochs | sinkCommit median / p99 ms"
          + " | data files | snapshots | load before -> after |\n|---|---|---|---|---|---|---|---|---|---|\n");
      for (String parallelism : Args.list(opts, "parallelisms", List.of("1", "2"))) {
        for (String sink : List.of("discard", "iceberg")) {
          JsonNode r = run(javaBin, heap, classpath, logDir, timeout, "throughput-" + sink + "-p" + parallelism,
              List.of("--case=pipeline", "--sink=" + sink, "--parallelism=" + parallelism, "--records=" + records,
                  "--interval=" + interval, "--maxRecordsPerBatch=" + maxRecords,
                  "--dir=" + Files.createTempDirectory(tmp, "lakehouse-bench")));
          int p = Integer.parseInt(parallelism);
          JsonNode commit = r.path("epochsWithRows").path("phasesMs").path("sinkCommit");
          body.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %,.0f | %,.0f | %d | %s | %s | %s | %s |%n",
              sink.equals("iceberg") ? "IcebergIO.write()" : "none (rows dropped)", p, r.path("seconds").asDouble(),
              r.path("rowsPerSecond").asDouble(), r.path("rowsPerSecond").asDouble() / p,
              r.path("epochsWithRows").path("epochs").asInt(),
              commit.isMissingNode() ? "-" : fmt(commit.path("median")) + " / " + fmt(commit.path("p99")),
              r.has("dataFiles") ? r.path("dataFiles").asText() : "-",
              r.has("snapshots") ? r.path("snapshots").asText() : "-", r.path("load").asText()));
          if (r.has("tableRows") && r.path("tableRows").asLong() != Long.parseLong(records)) {
            throw new IllegalStateException("the table holds " + r.path("tableRows") + " rows, expected " + records);
          }
        }
      }
      JsonNode floor = run(javaBin, heap, classpath, logDir, timeout, "throughput-floor",
          List.of("--case=floor", "--records=" + records, "--rows-per-file=" + maxRecords,
              "--dir=" + Files.createTempDirectory(tmp, "lakehouse-bench")));
      body.append(String.format(Locale.ROOT, "| floor: Iceberg's GenericAppenderFactory, 1 thread, no pipeline | 1 |"
              + " %.1f | %,.0f | %,.0f | - | - | - | 1 | %s |%n%n", floor.path("seconds").asDouble(),
          floor.path("rowsPerSecond").asDouble(), floor.path("rowsPerSecond").asDouble(), floor.path("load").asText()));
    }

    if (parts.contains("near-empty")) {
      double seconds = Double.parseDouble(opts.getOrDefault("near-empty-seconds", "40"));
      body.append("Near-empty epochs: about one row per epoch, parallelism 2, disk checkpoint; the first 5 epochs"
          + " with rows (class loading, catalog, table creation) left out\n\n");
      body.append("| interval | sink | epochs | epoch total median / p99 ms | sinkCommit median / p99 ms"
          + " | afterRead median / p99 ms | snapshots | load before -> after |\n|---|---|---|---|---|---|---|---|\n");
      for (String interval : Args.list(opts, "intervals", List.of("1s", "100ms"))) {
        double intervalSeconds = interval.endsWith("ms")
            ? Double.parseDouble(interval.replace("ms", "")) / 1000
            : Double.parseDouble(interval.replace("s", ""));
        long records = Math.round(seconds / intervalSeconds);
        for (String sink : List.of("discard", "iceberg")) {
          JsonNode r = run(javaBin, heap, classpath, logDir, timeout, "near-empty-" + sink + "-" + interval,
              List.of("--case=pipeline", "--sink=" + sink, "--parallelism=2", "--records=" + records,
                  "--rate=" + (1 / intervalSeconds), "--interval=" + interval, "--maxRecordsPerBatch=100000",
                  "--skip-epochs=5",
                  "--dir=" + Files.createTempDirectory(tmp, "lakehouse-bench")));
          JsonNode ph = r.path("epochsWithRows").path("phasesMs");
          body.append(String.format(Locale.ROOT, "| %s | %s | %d | %s / %s | %s | %s / %s | %s | %s |%n", interval,
              sink.equals("iceberg") ? "IcebergIO.write()" : "none (rows dropped)",
              r.path("epochsWithRows").path("epochs").asInt(),
              fmt(ph.path("total").path("median")), fmt(ph.path("total").path("p99")),
              ph.has("sinkCommit") ? fmt(ph.path("sinkCommit").path("median")) + " / "
                  + fmt(ph.path("sinkCommit").path("p99")) : "-",
              fmt(ph.path("afterRead").path("median")), fmt(ph.path("afterRead").path("p99")),
              r.has("snapshots") ? r.path("snapshots").asText() : "-", r.path("load").asText()));
        }
      }
      body.append('\n');
    }

    System.out.println();
    System.out.print(body);
    if (opts.containsKey("markdown")) {
      String md = "### lakehouse run of " + machine.get("date") + "\n\n"
          + BenchmarkMain.markdownHeader(machine, command) + "\n" + body;
      String target = opts.get("markdown");
      if (target.isEmpty()) {
        System.out.print(md);
      } else {
        Files.writeString(Path.of(target), "\n" + md, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
        System.out.println("Markdown appended to " + target);
      }
    }
  }

  private static String fmt(JsonNode n) {
    return n.isMissingNode() ? "-" : String.format(Locale.ROOT, "%.0f", n.asDouble());
  }

  /** Runs one worker and returns its JSON result, with the load average before and after. */
  private static JsonNode run(String javaBin, String heap, String classpath, Path logDir, int timeoutMinutes,
      String name, List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx" + heap,
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath, LakehouseWorker.class.getName()));
    cmd.addAll(args);
    File log = logDir.resolve("lakehouse-" + name + ".log").toFile();
    System.out.println("-- " + name + " (child JVM; stderr -> " + log + ")");
    String before = MachineInfo.loadAverage();
    Process process = new ProcessBuilder(cmd).redirectError(log).start();
    JsonNode result = null;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith("{") && line.contains("\"type\":\"lakehouse\"")) {
          result = BenchmarkWorker.JSON.readTree(line);
        }
      }
    }
    if (!process.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException(name + " timed out; see " + log);
    }
    if (process.exitValue() != 0 || result == null) {
      throw new IllegalStateException(name + " failed (exit " + process.exitValue() + "); see " + log);
    }
    ((com.fasterxml.jackson.databind.node.ObjectNode) result).put("load", before + " -> " + MachineInfo.loadAverage());
    System.out.printf(Locale.ROOT, "   %.1f s, %,.0f rows/s%n", result.path("seconds").asDouble(),
        result.path("rowsPerSecond").asDouble());
    return result;
  }
}
