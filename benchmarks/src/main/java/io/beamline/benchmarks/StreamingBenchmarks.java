package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
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
 * The streaming benchmarks of MicroBatchRunner, started by {@code benchmarks/run.sh MODE [options]}: one child JVM
 * ({@link StreamingWorker}) per runner and variant, one after the other, then tables as text and, with {@code
 * --markdown}, in the format of {@code docs/benchmarks.md}.
 *
 * <ul>
 *   <li>{@code streaming-epoch-cost}: fixed cost of a near-empty epoch (one record) with its checkpoint;
 *       variants {@code --checkpoints=disk,tmpfs,none}, {@code --epochs=1000} measured after {@code
 *       --warmup-epochs=200}.
 *   <li>{@code latency}: end-to-end latency p50/p99/max at {@code --intervals=100ms,1s,5s}, {@code --rate=1000}
 *       records/s for {@code --seconds=30} (at least 9 intervals), after a {@code --warmup-seconds=5} run.
 *   <li>{@code stateful-streaming}: throughput of {@code --records=2m} numbers keyed by {@code n % --keys=100k}
 *       through a stateful counter on {@code --runners=MicroBatchRunner,FlinkRunner,DirectRunner} (streaming
 *       mode); MicroBatchRunner with {@code --checkpoints=disk,tmpfs}; RealtimeRunner with {@code
 *       --realtime-checkpoints=none} (or {@code disk}, {@code tmpfs}: barrier checkpoints every {@code
 *       --checkpoint-interval=100ms}, their write and RocksDB snapshot times reported); {@code --warmups=1
 *       --iterations=3}. {@code --realtime-args=--stateBackend=rocksdb} runs RealtimeRunner on RocksDB state.
 *   <li>{@code ui-overhead}: the stateful-streaming job on MicroBatchRunner with its web UI off ({@code
 *       --uiPort=0}) and on (a free port, {@code /metrics}, {@code /api/job} and {@code /api/progress}
 *       fetched every second, as Prometheus and an open page would), {@code --rounds=3} pairs of child JVMs
 *       alternating off/on, {@code --warmups=1 --iterations=3} each; reports the cost in throughput.
 * </ul>
 *
 * <p>Common options as for {@link BenchmarkMain}: {@code --parallelism}, {@code --heap}, {@code
 * --timeout-minutes}, {@code --max-load}, {@code --max-load-wait-minutes}, {@code --markdown[=FILE]}, {@code
 * --json=FILE}, {@code --log-dir}, {@code --tmp-dir} (checkpoints on local disk; default {@code
 * java.io.tmpdir}), {@code --shm-dir} (tmpfs; default {@code /dev/shm}), {@code --microbatch-args=--a=1,--b=2}
 * (extra pipeline arguments for MicroBatchRunner in latency and stateful-streaming).
 */
public final class StreamingBenchmarks {

  static final String EPOCH_COST = "streaming-epoch-cost";
  static final String LATENCY = "latency";
  static final String STATEFUL = "stateful-streaming";
  static final String UI_OVERHEAD = "ui-overhead";
  static final List<String> MODES = List.of(EPOCH_COST, LATENCY, STATEFUL, UI_OVERHEAD);

  /** Options handed through to every child as they are. */
  private static final List<String> PASS_THROUGH =
      List.of("epochs", "warmup-epochs", "keys", "rate", "warmup-seconds", "records", "tmp-dir", "shm-dir",
          "microbatch-args", "realtime-args", "checkpoint-interval", "scrape");

  private StreamingBenchmarks() {}

  static boolean isMode(String arg) {
    return MODES.contains(arg);
  }

  /** One child JVM: a runner, a variant and the child's arguments. */
  record Job(String runner, String variant, List<String> args) {}

  /** What one child reported. */
  static final class ChildResult {
    final Job job;
    final List<JsonNode> runs = new ArrayList<>();
    final List<JsonNode> probes = new ArrayList<>();
    final List<String> errors = new ArrayList<>();
    String load = "";

    ChildResult(Job job) {
      this.job = job;
    }

    List<JsonNode> measured() {
      List<JsonNode> out = new ArrayList<>();
      runs.forEach(r -> {
        if ("measure".equals(r.path("phase").asText())) {
          out.add(r);
        }
      });
      return out;
    }

    JsonNode firstRun() {
      return runs.isEmpty() ? null : runs.get(0);
    }
  }

  static void main(String mode, String[] args) throws Exception {
    Map<String, String> opts = Args.parse(args);
    int parallelism = Args.intValue(opts, "parallelism", Runtime.getRuntime().availableProcessors());
    int timeoutMinutes = Args.intValue(opts, "timeout-minutes", 30);
    String heap = opts.getOrDefault("heap", "4g");
    String javaBin = opts.getOrDefault("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    Path logDir = Path.of(opts.getOrDefault("log-dir", "benchmarks/target/benchmark-logs"));
    Files.createDirectories(logDir);
    List<Job> jobs = plan(mode, opts, parallelism);

    Map<String, String> machine = MachineInfo.collect(javaBin);
    String launcher = System.getenv().getOrDefault("BEAMLINE_BENCH_LAUNCHER", "BenchmarkMain");
    String command = (launcher + " " + mode + " " + String.join(" ", args)).trim();
    System.out.println("== Beamline streaming benchmark: " + mode + " ==");
    machine.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-7s %s%n", k + ":", v));
    System.out.println();

    double maxLoad = opts.containsKey("max-load") ? Double.parseDouble(opts.get("max-load")) : -1;
    int maxLoadWait = Args.intValue(opts, "max-load-wait-minutes", 30);
    String classpath = BenchmarkMain.classpath();
    List<ChildResult> results = new ArrayList<>();
    for (Job job : jobs) {
      if (maxLoad > 0) {
        BenchmarkMain.waitForLoadBelow(maxLoad, maxLoadWait);
      }
      String before = MachineInfo.loadAverage();
      ChildResult r = runChild(job, heap, timeoutMinutes, javaBin, classpath, logDir);
      r.load = before + " -> " + MachineInfo.loadAverage();
      System.out.println("   load average (1/5/15 min) before -> after: " + r.load);
      results.add(r);
    }

    String body = StreamingReports.report(mode, results, opts);
    System.out.println();
    System.out.print(body);
    List<String> errors = new ArrayList<>();
    results.forEach(r -> r.errors.forEach(e -> errors.add(r.job.runner() + " " + r.job.variant() + ": " + e)));
    if (opts.containsKey("markdown")) {
      StringBuilder md = new StringBuilder();
      md.append("### ").append(mode).append(" run of ").append(machine.get("date")).append("\n\n");
      md.append(BenchmarkMain.markdownHeader(machine, command));
      md.append("- Parallelism ").append(parallelism).append(", one child JVM per runner and variant (-Xmx")
          .append(heap).append(")\n\n");
      md.append(body);
      String target = opts.get("markdown");
      if (target.isEmpty()) {
        System.out.println();
        System.out.print(md);
      } else {
        Path file = Path.of(target);
        Files.writeString(file, "\n" + md, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.out.println("Markdown appended to " + file);
      }
    }
    if (opts.containsKey("json") && !opts.get("json").isEmpty()) {
      var root = BenchmarkWorker.JSON.createObjectNode();
      var m = root.putObject("machine");
      machine.forEach(m::put);
      root.put("command", command);
      ArrayNode children = root.putArray("children");
      for (ChildResult r : results) {
        var c = children.addObject();
        c.put("runner", r.job.runner());
        c.put("variant", r.job.variant());
        c.put("load", r.load);
        r.runs.forEach(c.putArray("runs")::add);
        r.probes.forEach(c.putArray("probes")::add);
        r.errors.forEach(c.putArray("errors")::add);
      }
      Files.writeString(Path.of(opts.get("json")), root.toPrettyString() + "\n", StandardCharsets.UTF_8);
    }
    if (!errors.isEmpty()) {
      System.out.println("Failures (see logs in " + logDir + "):");
      errors.forEach(e -> System.out.println("  " + e));
    }
    System.exit(errors.isEmpty() ? 0 : 1);
  }

  /** The children to start for {@code mode}. */
  static List<Job> plan(String mode, Map<String, String> opts, int parallelism) {
    List<Job> jobs = new ArrayList<>();
    List<String> common = new ArrayList<>();
    common.add("--parallelism=" + parallelism);
    for (String key : PASS_THROUGH) {
      if (opts.containsKey(key)) {
        common.add("--" + key + "=" + opts.get(key));
      }
    }
    switch (mode) {
      case EPOCH_COST:
        {
          for (String runner : Args.list(opts, "runners", List.of(Runners.MICRO_BATCH))) {
            if (!Runners.MICRO_BATCH.equals(runner)) {
              throw new IllegalArgumentException(EPOCH_COST + " measures MicroBatchRunner only, got " + runner);
            }
          }
          for (String variant : Args.list(opts, "checkpoints", List.of("disk", "tmpfs", "none"))) {
            jobs.add(job(Runners.MICRO_BATCH, variant, "epoch-cost", common, opts, 1, 1, null));
          }
          break;
        }
      case LATENCY:
        {
          double seconds = Double.parseDouble(opts.getOrDefault("seconds", "30"));
          for (String runner : Args.list(opts, "runners", List.of(Runners.MICRO_BATCH))) {
            if (Runners.MICRO_BATCH.equals(runner)) {
              for (String interval : Args.list(opts, "intervals", List.of("100ms", "1s", "5s"))) {
                double s = Math.max(seconds, 9 * intervalSeconds(interval));
                jobs.add(job(runner, interval, "latency", common, opts, 1, 1, "--seconds=" + s));
              }
            } else {
              jobs.add(job(runner, "-", "latency", common, opts, 1, 1, "--seconds=" + seconds));
            }
          }
          break;
        }
      case STATEFUL:
        {
          List<String> runners =
              Args.list(opts, "runners", List.of(Runners.MICRO_BATCH, Runners.FLINK, Runners.DIRECT));
          for (String runner : runners) {
            if (Runners.MICRO_BATCH.equals(runner)) {
              for (String variant : Args.list(opts, "checkpoints", List.of("disk", "tmpfs"))) {
                jobs.add(job(runner, variant, STATEFUL, common, opts, 1, 3, null));
              }
            } else if (Runners.REALTIME.equals(runner)) {
              for (String variant : Args.list(opts, "realtime-checkpoints", List.of("none"))) {
                jobs.add(job(runner, variant, STATEFUL, common, opts, 1, 3, null));
              }
            } else {
              jobs.add(job(runner, "-", STATEFUL, common, opts, 1, 3, null));
            }
          }
          break;
        }
      case UI_OVERHEAD:
        {
          // the stateful-streaming job with the web UI off and on (scraped like Prometheus plus
          // an open page), in alternating child JVMs so that drift of a noisy machine hits both
          int rounds = Args.intValue(opts, "rounds", 3);
          for (int round = 0; round < rounds; round++) {
            for (String variant : List.of("ui-off", "ui-on")) {
              jobs.add(
                  job(Runners.MICRO_BATCH, variant, STATEFUL, common, opts, 1, 3,
                      "ui-on".equals(variant) ? "--scrape=true" : null));
            }
          }
          break;
        }
      default:
        throw new IllegalArgumentException("unknown mode " + mode + "; known: " + MODES);
    }
    return jobs;
  }

  private static Job job(
      String runner, String variant, String workerMode, List<String> common, Map<String, String> opts,
      int warmups, int iterations, String extra) {
    List<String> args = new ArrayList<>();
    args.add("--mode=" + workerMode);
    args.add("--runner=" + runner);
    args.add("--variant=" + variant);
    args.add("--warmups=" + Args.intValue(opts, "warmups", warmups));
    args.add("--iterations=" + Args.intValue(opts, "iterations", iterations));
    args.addAll(common);
    if (extra != null) {
      args.add(extra);
    }
    return new Job(runner, variant, args);
  }

  /** {@code 100ms} → 0.1, {@code 5s} → 5, {@code 1m} → 60. */
  static double intervalSeconds(String interval) {
    var m = java.util.regex.Pattern.compile("(\\d+)\\s*(ms|s|m)").matcher(interval.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("interval must be like 100ms, 1s, 5s; got " + interval);
    }
    double v = Double.parseDouble(m.group(1));
    return "ms".equals(m.group(2)) ? v / 1000 : "s".equals(m.group(2)) ? v : v * 60;
  }

  private static ChildResult runChild(
      Job job, String heap, int timeoutMinutes, String javaBin, String classpath, Path logDir)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin);
    cmd.add("-Xmx" + heap);
    cmd.addAll(Runners.jvmFlags(job.runner()));
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-cp");
    cmd.add(Runners.classpathFor(job.runner(), classpath));
    cmd.add(StreamingWorker.class.getName());
    cmd.addAll(job.args());
    String name = job.runner() + "-" + job.variant().replaceAll("[^A-Za-z0-9]", "");
    File log = logDir.resolve("streaming-" + name + ".log").toFile();
    System.out.println("-- " + job.runner() + " " + job.variant() + " (child JVM; stderr -> " + log + ")");
    ChildResult result = new ChildResult(job);
    Process process = new ProcessBuilder(cmd).redirectError(log).start();
    Thread reader = new Thread(() -> read(process, result), "read-" + name);
    reader.setDaemon(true);
    reader.start();
    boolean finished = process.waitFor(timeoutMinutes, TimeUnit.MINUTES);
    if (!finished) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
      synchronized (result) {
        result.errors.add("timed out after " + timeoutMinutes + " min; killed");
      }
    }
    reader.join(TimeUnit.SECONDS.toMillis(30));
    if (finished && process.exitValue() != 0) {
      synchronized (result) {
        result.errors.add("child JVM exited with " + process.exitValue() + " (see " + log + ")");
      }
    }
    return result;
  }

  private static void read(Process process, ChildResult result) {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        JsonNode node = BenchmarkWorker.jsonLine(line);
        String type = node == null ? "" : node.path("type").asText();
        synchronized (result) {
          switch (type) {
            case "run":
              result.runs.add(node);
              System.out.println("   " + summary(node));
              break;
            case "probe":
              result.probes.add(node);
              System.out.printf(Locale.ROOT, "   probe: CheckpointFiles.write median %.2f ms, p99 %.2f ms%n",
                  node.path("median").asDouble(), node.path("p99").asDouble());
              break;
            case "error":
              result.errors.add(node.path("phase").asText() + " " + node.path("iteration").asInt() + ": "
                  + node.path("message").asText());
              System.out.println("   FAILED: " + node.path("message").asText());
              break;
            case "start":
              System.out.println("   pid " + node.path("pid").asText() + ", pipeline args: "
                  + node.path("pipelineArgs").asText());
              break;
            case "done":
              break;
            default:
              System.out.println("   [stdout] " + line);
          }
        }
      }
    } catch (IOException e) {
      System.out.println("   reading child output failed: " + e);
    }
  }

  private static String summary(JsonNode run) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-7s %d: %.0f ms", run.path("phase").asText(),
        run.path("iteration").asInt(), run.path("ms").asDouble()));
    JsonNode e = run.path("epochs");
    if (!e.isMissingNode()) {
      sb.append(String.format(Locale.ROOT, ", %d epochs, epoch total median %s ms p99 %s ms",
          e.path("epochs").asInt(), e.path("phasesMs").path("total").path("median").asText(),
          e.path("phasesMs").path("total").path("p99").asText()));
    }
    JsonNode l = run.path("latencyMs");
    if (!l.isMissingNode()) {
      sb.append(String.format(Locale.ROOT, ", latency p50 %.0f p99 %.0f max %.0f ms",
          l.path("p50").asDouble(), l.path("p99").asDouble(), l.path("max").asDouble()));
    }
    if (run.has("recordsPerSecond")) {
      sb.append(String.format(Locale.ROOT, ", %.0f records/s", run.path("recordsPerSecond").asDouble()));
    }
    sb.append(" [").append(run.path("result").asText()).append(']');
    return sb.toString();
  }
}
