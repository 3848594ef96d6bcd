package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Side-by-side benchmark: runs the same pipelines on several Beam runners, one child JVM per runner ({@link
 * BenchmarkWorker}), and prints median / min / max wall time per pipeline and runner plus the ratio to
 * MicroBatchRunner.
 *
 * <pre>
 * java -cp CLASSPATH io.beamline.benchmarks.BenchmarkMain \
 *     --runners=MicroBatchRunner,DirectRunner,FlinkRunner --pipelines=sum-per-key-100,sum-per-key-1m \
 *     --warmups=2 --iterations=5 [--parallelism=N] [--heap=4g] [--timeout-minutes=60] \
 *     [--markdown | --markdown=FILE] [--json=FILE] [--log-dir=DIR] [--java=PATH] [--shared-classpath]
 *     [--max-load=X [--max-load-wait-minutes=30]]
 * </pre>
 *
 * A first argument naming a streaming mode ({@code streaming-epoch-cost}, {@code latency}, {@code
 * stateful-streaming}) runs {@link StreamingBenchmarks} instead; {@code kafka-latency} or {@code kafka-throughput}
 * runs {@link KafkaBenchmarks}; {@code nexmark} runs {@link NexmarkBenchmarks}; {@code lakehouse} runs
 * {@link LakehouseBenchmarks}.
 *
 * <p>See {@code benchmarks/run.sh} and {@code docs/benchmarks.md}.
 */
public final class BenchmarkMain {

  private BenchmarkMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && StreamingBenchmarks.isMode(args[0])) {
      StreamingBenchmarks.main(args[0], java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && NexmarkBenchmarks.isMode(args[0])) {
      NexmarkBenchmarks.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && LakehouseBenchmarks.isMode(args[0])) {
      LakehouseBenchmarks.main(args[0], java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && KafkaBenchmarks.isMode(args[0])) {
      KafkaBenchmarks.main(args[0], java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    Map<String, String> opts;
    try {
      opts = Args.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      usage();
      System.exit(2);
      return;
    }
    if (opts.containsKey("help")) {
      usage();
      return;
    }
    List<String> runners = Args.list(opts, "runners", Runners.DEFAULT_RUNNERS);
    List<String> pipelines = Args.list(opts, "pipelines", BenchmarkPipelines.DEFAULT_PIPELINES);
    int warmups = Args.intValue(opts, "warmups", 2);
    int iterations = Args.intValue(opts, "iterations", 5);
    int parallelism = Args.intValue(opts, "parallelism", Runtime.getRuntime().availableProcessors());
    int timeoutMinutes = Args.intValue(opts, "timeout-minutes", 60);
    String heap = opts.getOrDefault("heap", "4g");
    String javaBin =
        opts.getOrDefault("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    Path logDir = Path.of(opts.getOrDefault("log-dir", "benchmarks/target/benchmark-logs"));
    if (iterations < 1 || warmups < 0) {
      System.err.println("--iterations must be >= 1 and --warmups >= 0");
      System.exit(2);
    }
    for (String p : pipelines) {
      if (!BenchmarkPipelines.isKnown(p)) {
        System.err.println("unknown pipeline: " + p);
        usage();
        System.exit(2);
      }
    }
    Files.createDirectories(logDir);

    String classpath = classpath();
    Map<String, String> machine = MachineInfo.collect(javaBin);
    // run.sh passes the command line it was started with, so the report shows the command to repeat
    String launcher = System.getenv().getOrDefault("BEAMLINE_BENCH_LAUNCHER", "BenchmarkMain");
    String command = (launcher + " " + String.join(" ", args)).trim();

    System.out.println("== Beamline runner benchmark ==");
    for (Map.Entry<String, String> e : machine.entrySet()) {
      System.out.printf(Locale.ROOT, "%-7s %s%n", e.getKey() + ":", e.getValue());
    }
    System.out.printf(
        Locale.ROOT,
        "runners: %s | pipelines: %s | warmups: %d | iterations: %d | parallelism: %d | heap: %s%n%n",
        runners, pipelines, warmups, iterations, parallelism, heap);

    Results results = new Results(runners, pipelines);
    double maxLoad = opts.containsKey("max-load") ? Double.parseDouble(opts.get("max-load")) : -1;
    int maxLoadWaitMinutes = Args.intValue(opts, "max-load-wait-minutes", 30);
    Map<String, String> loads = new LinkedHashMap<>();
    for (String runner : runners) {
      if (maxLoad > 0) {
        waitForLoadBelow(maxLoad, maxLoadWaitMinutes);
      }
      String before = MachineInfo.loadAverage();
      runChild(runner, pipelines, warmups, iterations, parallelism, heap, timeoutMinutes, javaBin, classpath,
          !opts.containsKey("shared-classpath"), logDir, results);
      String after = MachineInfo.loadAverage();
      loads.put(runner, before + " -> " + after);
      System.out.println("   load average (1/5/15 min) before -> after: " + before + " -> " + after);
    }

    List<List<String>> rows = results.rows();
    System.out.println();
    System.out.println("Wall time per run (construction + run + waitUntilFinish), "
        + iterations + " measured runs after " + warmups + " warm-ups, one JVM per runner.");
    System.out.println("runner/MicroBatch = median(runner) / median(MicroBatchRunner); > 1 means MicroBatchRunner is faster.");
    System.out.println();
    System.out.print(Results.textTable(Results.HEADER, rows));
    String fixedCost = fixedStartCost(results, runners);
    String loadSummary = loadSummary(loads);
    if (!fixedCost.isEmpty()) {
      System.out.println();
      System.out.println(fixedCost);
    }
    System.out.println(loadSummary);
    List<String> agreed = results.agreedResults();
    if (!agreed.isEmpty()) {
      System.out.println("Verified results (identical on every runner listed):");
      agreed.forEach(a -> System.out.println("  " + a));
    }
    List<String> errors = results.errors();
    if (!errors.isEmpty()) {
      System.out.println();
      System.out.println("Failures (see logs in " + logDir + "):");
      errors.forEach(e -> System.out.println("  " + e));
    }

    if (opts.containsKey("markdown")) {
      String md =
          markdown(machine, command, runners, warmups, iterations, parallelism, heap, rows, fixedCost, loadSummary,
              agreed, errors);
      String target = opts.get("markdown");
      if (target.isEmpty()) {
        System.out.println();
        System.out.print(md);
      } else {
        Path file = Path.of(target);
        if (file.getParent() != null) {
          Files.createDirectories(file.getParent());
        }
        Files.writeString(file, "\n" + md, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.out.println();
        System.out.println("Markdown appended to " + file);
      }
    }
    if (opts.containsKey("json") && !opts.get("json").isEmpty()) {
      Path file = Path.of(opts.get("json"));
      Files.writeString(file, json(machine, command, results), StandardCharsets.UTF_8);
      System.out.println("JSON written to " + file);
    }
    System.exit(errors.isEmpty() ? 0 : 1);
  }

  private static void runChild(
      String runner, List<String> pipelines, int warmups, int iterations, int parallelism, String heap,
      int timeoutMinutes, String javaBin, String classpath, boolean isolate, Path logDir, Results results)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin);
    cmd.add("-Xmx" + heap);
    cmd.addAll(Runners.jvmFlags(runner));
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-cp");
    cmd.add(isolate ? Runners.classpathFor(runner, classpath) : classpath);
    cmd.add(BenchmarkWorker.class.getName());
    cmd.add("--runner=" + runner);
    cmd.add("--pipelines=" + String.join(",", pipelines));
    cmd.add("--warmups=" + warmups);
    cmd.add("--iterations=" + iterations);
    cmd.add("--parallelism=" + parallelism);

    File log = logDir.resolve(runner + ".log").toFile();
    System.out.println("-- " + runner + " (child JVM; stderr -> " + log + ")");
    Process process = new ProcessBuilder(cmd).redirectError(log).start();
    Thread reader = new Thread(() -> readChild(runner, process, results), "read-" + runner);
    reader.setDaemon(true);
    reader.start();
    boolean finished = process.waitFor(timeoutMinutes, TimeUnit.MINUTES);
    if (!finished) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
      results.failIncomplete(runner, "timed out after " + timeoutMinutes + " min", iterations);
      System.out.println("   " + runner + " timed out after " + timeoutMinutes + " min; killed");
    }
    reader.join(TimeUnit.SECONDS.toMillis(30));
    int exit = process.exitValue();
    if (exit != 0) {
      results.failIncomplete(runner, "child JVM exited with " + exit + " (see " + log + ")", iterations);
      if (finished) {
        System.out.println("   " + runner + " child exited with " + exit + "; last lines of " + log + ":");
        tail(log.toPath(), 15).forEach(l -> System.out.println("     " + l));
      }
    }
  }

  private static void readChild(String runner, Process process, Results results) {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        JsonNode node = BenchmarkWorker.jsonLine(line);
        if (node == null || !node.has("type")) {
          System.out.println("   [" + runner + " stdout] " + line);
          continue;
        }
        String type = node.get("type").asText();
        switch (type) {
          case "run":
            {
              String pipeline = node.get("pipeline").asText();
              String phase = node.get("phase").asText();
              double ms = node.get("ms").asDouble();
              results.recordRun(pipeline, runner, phase, ms, node.path("result").asText(""));
              System.out.printf(
                  Locale.ROOT, "   %-16s %-8s %2d: %10.1f ms%n", pipeline, phase, node.get("iteration").asInt(), ms);
              break;
            }
          case "error":
            {
              String pipeline = node.get("pipeline").asText();
              String message = node.get("message").asText();
              results.recordError(pipeline, runner, message);
              System.out.printf(
                  Locale.ROOT, "   %-16s %-8s %2d: FAILED %s%n",
                  pipeline, node.get("phase").asText(), node.get("iteration").asInt(), message);
              break;
            }
          case "start":
            System.out.println("   pid " + node.get("pid").asText() + ", pipeline args: "
                + node.get("pipelineArgs").asText());
            break;
          default:
            break;
        }
      }
    } catch (IOException e) {
      System.out.println("   reading " + runner + " output failed: " + e);
    }
  }

  /** One line: the load average when each child started and ended (other work on the machine skews timings). */
  static String loadSummary(Map<String, String> loads) {
    if (loads.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder("Load average (1/5/15 min) at start -> end of each child: ");
    boolean first = true;
    for (Map.Entry<String, String> e : loads.entrySet()) {
      sb.append(first ? "" : "; ").append(e.getKey()).append(' ').append(e.getValue());
      first = false;
    }
    return sb.toString();
  }

  /** Polls /proc/loadavg until the 1-minute load is below {@code max}, at most {@code minutes}. */
  static void waitForLoadBelow(double max, int minutes) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(minutes);
    double load = MachineInfo.loadAverage1();
    if (load < 0 || load < max) {
      return;
    }
    System.out.printf(Locale.ROOT, "   waiting for the 1-min load average (%.2f) to drop below %.2f%n", load, max);
    while (load >= max && System.nanoTime() < deadline) {
      Thread.sleep(10_000);
      load = MachineInfo.loadAverage1();
    }
    System.out.printf(Locale.ROOT, "   load average now %.2f%s%n", load, load >= max ? " (gave up waiting)" : "");
  }

  private static String fixedStartCost(Results results, List<String> runners) {
    String p = "sum-per-key-100";
    StringBuilder sb = new StringBuilder();
    for (String r : runners) {
      Double m = results.medianOf(p, r);
      if (m != null) {
        sb.append(sb.length() == 0 ? "" : ", ").append(r).append(' ').append(Results.fmt(m)).append(" ms");
      }
    }
    return sb.length() == 0 ? "" : "Fixed start cost (median of " + p + "): " + sb;
  }

  static String markdown(
      Map<String, String> machine, String command, List<String> runners, int warmups, int iterations,
      int parallelism, String heap, List<List<String>> rows, String fixedCost, String loadSummary,
      List<String> agreed, List<String> errors) {
    StringBuilder sb = new StringBuilder();
    sb.append("### Run of ").append(machine.get("date")).append("\n\n");
    sb.append(markdownHeader(machine, command));
    sb.append("- Runners: ").append(String.join(", ", runners)).append("; ").append(warmups)
        .append(" warm-ups + ").append(iterations).append(" measured runs per pipeline, one child JVM per runner (-Xmx")
        .append(heap).append("), parallelism ").append(parallelism).append("\n\n");
    sb.append(Results.markdownTable(Results.HEADER, rows));
    if (!fixedCost.isEmpty()) {
      sb.append('\n').append(fixedCost).append('\n');
    }
    if (!loadSummary.isEmpty()) {
      sb.append('\n').append(loadSummary).append('\n');
    }
    if (!agreed.isEmpty()) {
      sb.append("\nVerified results (identical on every runner listed):\n\n");
      agreed.forEach(a -> sb.append("- `").append(a.replace(": ", "`: ")).append('\n'));
    }
    if (!errors.isEmpty()) {
      sb.append("\nFailures:\n\n");
      errors.forEach(e -> sb.append("- ").append(e.replace("|", "\\|")).append('\n'));
    }
    return sb.toString();
  }

  /** The Command, Machine, Java and Source tree lines of a Markdown report. */
  static String markdownHeader(Map<String, String> machine, String command) {
    StringBuilder sb = new StringBuilder();
    sb.append("- Command: `").append(command).append("`\n");
    sb.append("- Machine: ").append(machine.get("cores")).append(" cores, ").append(machine.get("memory"))
        .append(", CPU `").append(machine.get("cpu")).append("`, ").append(machine.get("os"))
        .append("; load average at start ").append(machine.getOrDefault("load", "?")).append('\n');
    sb.append("- Java: `").append(machine.get("java")).append("`\n");
    sb.append("- Source tree: `").append(machine.getOrDefault("commit", "?"))
        .append("` (`git describe --always --dirty`; the runners' jars come from the build run.sh did)\n");
    return sb.toString();
  }

  private static String json(Map<String, String> machine, String command, Results results) {
    var root = BenchmarkWorker.JSON.createObjectNode();
    var m = root.putObject("machine");
    machine.forEach(m::put);
    root.put("command", command);
    var arr = root.putArray("results");
    results.forEachCell(
        (pipeline, runner, cell) -> {
          var o = arr.addObject();
          o.put("pipeline", pipeline);
          o.put("runner", runner);
          if (cell.ok()) {
            o.put("medianMs", Results.median(cell.measuredMs));
          }
          String ratio = results.ratio(pipeline, runner);
          o.put("ratioToMicroBatch", ratio);
          cell.warmupMs.forEach(o.putArray("warmupMs")::add);
          cell.measuredMs.forEach(o.putArray("measuredMs")::add);
          cell.fingerprints.forEach(o.putArray("results")::add);
          if (cell.error != null) {
            o.put("error", cell.error);
          }
        });
    return root.toPrettyString() + "\n";
  }

  /**
   * The classpath for the children: the class loader's URLs when launched through a URLClassLoader (e.g. {@code
   * mvn exec:java}), otherwise {@code java.class.path}.
   */
  static String classpath() {
    ClassLoader cl = BenchmarkMain.class.getClassLoader();
    if (cl instanceof URLClassLoader) {
      List<String> entries = new ArrayList<>();
      for (URL url : ((URLClassLoader) cl).getURLs()) {
        try {
          entries.add(new File(url.toURI()).getPath());
        } catch (URISyntaxException | IllegalArgumentException e) {
          entries.add(url.getPath());
        }
      }
      if (!entries.isEmpty()) {
        return String.join(File.pathSeparator, entries);
      }
    }
    return System.getProperty("java.class.path");
  }

  private static List<String> tail(Path file, int n) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      return lines.subList(Math.max(0, lines.size() - n), lines.size());
    } catch (IOException | RuntimeException e) {
      return List.of("(cannot read " + file + ": " + e.getMessage() + ")");
    }
  }

  private static void usage() {
    System.err.println(
        String.join(
            "\n",
            "usage: BenchmarkMain [--runners=MicroBatchRunner,DirectRunner,FlinkRunner]",
            "                     [--pipelines=sum-per-key-100,sum-per-key-1m] (also sum-per-key-<N>[k|m])",
            "                     [--warmups=2] [--iterations=5] [--parallelism=<cores>] [--heap=4g]",
            "                     [--timeout-minutes=60] [--markdown | --markdown=FILE] [--json=FILE]",
            "                     [--log-dir=benchmarks/target/benchmark-logs] [--java=PATH]",
            "                     [--max-load=X [--max-load-wait-minutes=30]]  (wait for a quiet machine)",
            "                     [--shared-classpath]  (default: each child gets the classpath minus the other",
            "                                            runners' jars)",
            "       BenchmarkMain streaming-epoch-cost [--checkpoints=disk,tmpfs,none] [--epochs=1000]",
            "                     [--warmup-epochs=200] [--keys=10] [--tmp-dir=DIR] [--shm-dir=/dev/shm]",
            "       BenchmarkMain latency [--intervals=100ms,1s,5s] [--rate=1000] [--seconds=30]",
            "                     [--warmup-seconds=5] [--keys=100] [--runners=MicroBatchRunner]",
            "       BenchmarkMain stateful-streaming [--runners=MicroBatchRunner,FlinkRunner,DirectRunner]",
            "                     [--checkpoints=disk,tmpfs] [--records=2m] [--keys=100k] [--warmups=1]",
            "                     [--iterations=3]",
            "       (streaming modes also take --parallelism, --heap, --timeout-minutes=30, --max-load,",
            "        --markdown[=FILE], --json=FILE; see StreamingBenchmarks)",
            "       BenchmarkMain kafka-latency [--systems=beamline,floor] [--intervals=100ms,1s] [--rate=2000]",
            "                     [--seconds=30] [--warmup-seconds=10] [--iterations=2] [--partitions=4]",
            "       BenchmarkMain kafka-throughput [--systems=beamline,beamline-1m,floor] [--intervals=1s]",
            "                     [--records=2m] [--warmup-records=200k] [--warmups=1] [--iterations=2]",
            "       BenchmarkMain lakehouse [--parts=throughput,near-empty] [--records=1m] [--parallelisms=1,2]",
            "                     [--intervals=1s,100ms] [--near-empty-seconds=30]  (Iceberg sink; see LakehouseBenchmarks)",
            "       (Kafka modes: embedded broker in this JVM, one child JVM per system and interval; systems",
            "        beamline|floor with suffixes -alo, -<N>[k|m] (record budget), -<T>t (floor loops); also",
            "        --parallelism, --heap, --max-load, --markdown[=FILE], --json=FILE, --tmp-dir,",
            "        --microbatch-args; see KafkaBenchmarks)",
            "       BenchmarkMain nexmark [--queries=0-12] [--events=1m] [--check-events=100k] [--streaming |",
            "                     --modes=batch,streaming] [--runner-events=DirectRunner=50k] [--generators=100]",
            "                     [--warmups=1] [--iterations=3] (Beam's Nexmark queries 0-12 on every runner,",
            "                     model-checked; see NexmarkBenchmarks)"));
  }
}
