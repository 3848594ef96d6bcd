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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Nexmark on every runner, started by {@code benchmarks/run.sh nexmark [options]}: Beam's Nexmark queries 0–12
 * ({@link NexmarkQueries}) in batch and/or streaming mode, one child JVM ({@link NexmarkWorker}) per runner and
 * mode, one after the other, then a table per mode: wall time, events/s, events/s per core, the ratio to
 * FlinkRunner, the model check and whether the result digests agree across runners.
 *
 * <p>Options: {@code --runners=MicroBatchRunner,DirectRunner,FlinkRunner} (any of {@link Runners#ALL}), {@code
 * --queries=0-12}, {@code --events=1m} (timed runs), {@code --check-events=100k} (the model-checked run; 0: none),
 * {@code --generators=100} (timed runs' {@code numEventGenerators}, Nexmark's default), {@code
 * --runner-events=DirectRunner=50k} (a smaller event count for a slow runner: its timed digests are then not
 * comparable, its check run still is), {@code --streaming} (streaming only) or {@code --modes=batch,streaming}
 * (default batch), {@code --warmups=1 --iterations=3}, {@code --parallelism} (default: cores), {@code --heap=4g},
 * {@code --timeout-minutes=60} (per child), {@code --max-load=X [--max-load-wait-minutes=30]}, {@code
 * --markdown[=FILE]}, {@code --json=FILE}, {@code --log-dir}, {@code --tmp-dir}, {@code
 * --microbatch-args=--a=1,--b=2}.
 *
 * <p>Events/s = events / median wall time of the measured runs (options, construction, run, waitUntilFinish:
 * start-up included, as a user sees it); per core = that divided by the machine's cores ({@code nproc}), whatever
 * parallelism the runner uses. Ratio to FlinkRunner = events/s of the runner / events/s of FlinkRunner for the same
 * query, mode and event count (above 1: faster than FlinkRunner).
 */
public final class NexmarkBenchmarks {

  static final String MODE = "nexmark";

  private static final List<String> PASS_THROUGH =
      List.of("queries", "check-events", "generators", "warmups", "iterations", "tmp-dir", "microbatch-args");

  private NexmarkBenchmarks() {}

  static boolean isMode(String arg) {
    return MODE.equals(arg);
  }

  /** One child: a runner in a mode, with its event count. */
  record Job(String runner, String mode, long events) {}

  /** What one child reported. */
  static final class Child {
    final Job job;
    final List<JsonNode> lines = new ArrayList<>();
    final List<String> errors = new ArrayList<>();
    String load = "";

    Child(Job job) {
      this.job = job;
    }

    synchronized List<JsonNode> of(String type, int query) {
      List<JsonNode> out = new ArrayList<>();
      for (JsonNode n : lines) {
        if (type.equals(n.path("type").asText()) && n.path("query").asInt(-1) == query) {
          out.add(n);
        }
      }
      return out;
    }
  }

  static void main(String[] args) throws Exception {
    Map<String, String> opts;
    List<Job> jobs;
    List<Integer> queries;
    try {
      opts = Args.parse(args);
      queries = NexmarkQueries.parse(opts.getOrDefault("queries", "0-12"));
      jobs = plan(opts);
    } catch (IllegalArgumentException e) {
      System.err.println("nexmark: " + e.getMessage());
      System.err.println("usage: run.sh nexmark [--queries=0-12] [--events=1m] [--check-events=100k] [--streaming"
          + " | --modes=batch,streaming] [--runners=MicroBatchRunner,DirectRunner,FlinkRunner]"
          + " [--runner-events=DirectRunner=50k] [--warmups=1] [--iterations=3] [--max-load=X] [--markdown[=FILE]]");
      System.exit(2);
      return;
    }
    int parallelism = Args.intValue(opts, "parallelism", Runtime.getRuntime().availableProcessors());
    int timeoutMinutes = Args.intValue(opts, "timeout-minutes", 60);
    String heap = opts.getOrDefault("heap", "4g");
    String javaBin = opts.getOrDefault("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    Path logDir = Path.of(opts.getOrDefault("log-dir", "benchmarks/target/benchmark-logs"));
    Files.createDirectories(logDir);
    Map<String, String> machine = MachineInfo.collect(javaBin);
    String launcher = System.getenv().getOrDefault("BEAMLINE_BENCH_LAUNCHER", "BenchmarkMain");
    String command = (launcher + " " + MODE + " " + String.join(" ", args)).trim();
    System.out.println("== Beamline Nexmark benchmark ==");
    machine.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-7s %s%n", k + ":", v));
    System.out.println();

    double maxLoad = opts.containsKey("max-load") ? Double.parseDouble(opts.get("max-load")) : -1;
    int maxLoadWait = Args.intValue(opts, "max-load-wait-minutes", 30);
    String classpath = BenchmarkMain.classpath();
    List<Child> children = new ArrayList<>();
    for (Job job : jobs) {
      if (maxLoad > 0) {
        BenchmarkMain.waitForLoadBelow(maxLoad, maxLoadWait);
      }
      String before = MachineInfo.loadAverage();
      Child child = runChild(job, opts, parallelism, heap, timeoutMinutes, javaBin, classpath, logDir);
      child.load = before + " -> " + MachineInfo.loadAverage();
      System.out.println("   load average (1/5/15 min) before -> after: " + child.load);
      children.add(child);
    }

    int cores = Integer.parseInt(machine.get("cores"));
    List<String> failures = new ArrayList<>();
    String body = report(children, queries, cores, failures);
    System.out.println();
    System.out.print(body);
    if (opts.containsKey("markdown")) {
      StringBuilder md = new StringBuilder();
      md.append("### Nexmark run of ").append(machine.get("date")).append("\n\n");
      md.append(BenchmarkMain.markdownHeader(machine, command));
      md.append("- Parallelism ").append(parallelism).append(", one child JVM per runner and mode (-Xmx")
          .append(heap).append("); per core = events/s / ").append(cores).append(" cores\n\n");
      md.append(body);
      String target = opts.get("markdown");
      if (target.isEmpty()) {
        System.out.println();
        System.out.print(md);
      } else {
        Files.writeString(Path.of(target), "\n" + md, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
        System.out.println("Markdown appended to " + target);
      }
    }
    if (opts.containsKey("json") && !opts.get("json").isEmpty()) {
      var root = BenchmarkWorker.JSON.createObjectNode();
      var m = root.putObject("machine");
      machine.forEach(m::put);
      root.put("command", command);
      ArrayNode arr = root.putArray("children");
      for (Child c : children) {
        var o = arr.addObject();
        o.put("runner", c.job.runner());
        o.put("mode", c.job.mode());
        o.put("events", c.job.events());
        o.put("load", c.load);
        c.lines.forEach(o.putArray("lines")::add);
        c.errors.forEach(o.putArray("errors")::add);
      }
      Files.writeString(Path.of(opts.get("json")), root.toPrettyString() + "\n", StandardCharsets.UTF_8);
    }
    System.exit(failures.isEmpty() ? 0 : 1);
  }

  /** The children to start: every runner in every mode asked for. */
  static List<Job> plan(Map<String, String> opts) {
    List<String> modes =
        opts.containsKey("streaming") ? List.of("streaming") : Args.list(opts, "modes", List.of("batch"));
    for (String mode : modes) {
      if (!mode.equals("batch") && !mode.equals("streaming")) {
        throw new IllegalArgumentException("--modes takes batch and/or streaming, got " + mode);
      }
    }
    long events = parseSize(opts.getOrDefault("events", "1m"));
    Map<String, Long> perRunner = new LinkedHashMap<>();
    for (String item : Args.list(opts, "runner-events", List.of())) {
      int eq = item.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("--runner-events takes RUNNER=N[k|m], got " + item);
      }
      perRunner.put(item.substring(0, eq), parseSize(item.substring(eq + 1)));
    }
    List<String> runners = Args.list(opts, "runners", List.of(Runners.MICRO_BATCH, Runners.DIRECT, Runners.FLINK));
    for (String runner : runners) {
      if (Runners.spec(runner) == null) {
        List<String> known = new ArrayList<>();
        Runners.ALL.forEach(s -> known.add(s.name()));
        throw new IllegalArgumentException("unknown runner " + runner + "; known: " + known);
      }
    }
    List<Job> jobs = new ArrayList<>();
    for (String mode : modes) {
      for (String runner : runners) {
        jobs.add(new Job(runner, mode, perRunner.getOrDefault(runner, events)));
      }
    }
    return jobs;
  }

  /** {@code 100000}, {@code 100k}, {@code 10m} → a count. */
  static long parseSize(String s) {
    Matcher m = Pattern.compile("(\\d+)([kKmM]?)").matcher(s.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a count like 100000, 100k or 10m, got '" + s + "'");
    }
    long v = Long.parseLong(m.group(1));
    String unit = m.group(2).toLowerCase(Locale.ROOT);
    return unit.equals("k") ? v * 1_000 : unit.equals("m") ? v * 1_000_000 : v;
  }

  private static Child runChild(
      Job job, Map<String, String> opts, int parallelism, String heap, int timeoutMinutes, String javaBin,
      String classpath, Path logDir) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin);
    cmd.add("-Xmx" + heap);
    cmd.addAll(Runners.jvmFlags(job.runner()));
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-cp");
    cmd.add(Runners.classpathFor(job.runner(), classpath, true));
    cmd.add(NexmarkWorker.class.getName());
    cmd.add("--runner=" + job.runner());
    cmd.add("--mode=" + job.mode());
    cmd.add("--events=" + job.events());
    cmd.add("--parallelism=" + parallelism);
    for (String key : PASS_THROUGH) {
      if (opts.containsKey(key)) {
        cmd.add("--" + key + "=" + opts.get(key));
      }
    }
    File log = logDir.resolve("nexmark-" + job.runner() + "-" + job.mode() + ".log").toFile();
    System.out.println("-- " + job.runner() + " " + job.mode() + ", " + job.events() + " events (child JVM; stderr -> "
        + log + ")");
    Child child = new Child(job);
    Process process = new ProcessBuilder(cmd).redirectError(log).start();
    Thread reader = new Thread(() -> read(process, child), "read-" + job.runner());
    reader.setDaemon(true);
    reader.start();
    boolean finished = process.waitFor(timeoutMinutes, TimeUnit.MINUTES);
    if (!finished) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
    reader.join(TimeUnit.SECONDS.toMillis(30));
    synchronized (child) {
      if (!finished) {
        child.errors.add("timed out after " + timeoutMinutes + " min; killed");
      } else if (process.exitValue() != 0) {
        child.errors.add("child JVM exited with " + process.exitValue() + " (see " + log + ")");
      }
    }
    return child;
  }

  private static void read(Process process, Child child) {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        JsonNode node = BenchmarkWorker.jsonLine(line);
        if (node == null) {
          System.out.println("   [stdout] " + line);
          continue;
        }
        synchronized (child) {
          child.lines.add(node);
        }
        System.out.println("   " + summary(node));
      }
    } catch (IOException e) {
      System.out.println("   reading child output failed: " + e);
    }
  }

  private static String summary(JsonNode n) {
    String type = n.path("type").asText();
    switch (type) {
      case "check":
        return String.format(Locale.ROOT, "q%-2d check   %,d events: %.0f ms, %d results, digest %s, model %s",
            n.path("query").asInt(), n.path("events").asLong(), n.path("ms").asDouble(), n.path("results").asLong(),
            n.path("digest").asText(), n.path("model").asText());
      case "run":
        return String.format(Locale.ROOT, "q%-2d %-7s %d %,d events: %.0f ms, %d results, digest %s",
            n.path("query").asInt(), n.path("phase").asText(), n.path("iteration").asInt(),
            n.path("events").asLong(), n.path("ms").asDouble(), n.path("results").asLong(),
            n.path("digest").asText());
      case "error":
        return "q" + n.path("query").asInt() + " " + n.path("phase").asText() + " FAILED: "
            + n.path("message").asText();
      case "start":
        return "pid " + n.path("pid").asText() + ", pipeline args: " + n.path("pipelineArgs").asText();
      default:
        return type;
    }
  }

  // ------------------------------------------------------------------------------------------------- report

  /** Per mode: the table, digest agreement, the targets; appends every failure to {@code failures}. */
  static String report(List<Child> children, List<Integer> queries, int cores, List<String> failures) {
    StringBuilder sb = new StringBuilder();
    Set<String> modes = new LinkedHashSet<>();
    children.forEach(c -> modes.add(c.job.mode()));
    for (Child c : children) {
      c.errors.forEach(e -> failures.add(c.job.runner() + " " + c.job.mode() + ": " + e));
    }
    for (String mode : modes) {
      List<Child> inMode = new ArrayList<>();
      children.forEach(c -> {
        if (c.job.mode().equals(mode)) {
          inMode.add(c);
        }
      });
      sb.append("#### ").append(mode).append("\n\n");
      sb.append(NexmarkReport.table(inMode, queries, cores, failures));
      sb.append(NexmarkReport.digests(inMode, queries, failures));
      if (mode.equals("batch")) {
        sb.append(NexmarkReport.targets(inMode, queries, cores));
      }
      sb.append("\nLoad average (1/5/15 min) at start -> end of each child: ");
      for (int i = 0; i < inMode.size(); i++) {
        sb.append(i == 0 ? "" : "; ").append(inMode.get(i).job.runner()).append(' ').append(inMode.get(i).load);
      }
      sb.append("\n\n");
    }
    if (!failures.isEmpty()) {
      sb.append("Failures:\n\n");
      failures.forEach(f -> sb.append("- ").append(f.replace("|", "\\|")).append('\n'));
      sb.append('\n');
    }
    return sb.toString();
  }
}
