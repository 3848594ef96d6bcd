package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.io.kafka.testing.EmbeddedKafka;
import java.io.File;
import java.io.PrintStream;
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
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.admin.Admin;

/**
 * The Kafka benchmarks, started by {@code benchmarks/run.sh kafka-latency|kafka-throughput [options]}: Kafka →
 * transform → Kafka, exactly-once, on MicroBatchRunner ({@code beamline}) next to a plain kafka-clients consume →
 * transform → produce loop on the same broker ({@code floor}, {@link KafkaFloor}).
 *
 * <p>This JVM (the driver) runs the broker ({@link EmbeddedKafka}, in-process KRaft), the load generator and the
 * verifying {@code read_committed} consumer of the output ({@link KafkaLoad}). Each system under test runs in a child
 * JVM of its own ({@link KafkaWorker}), one per system and interval, one after the other; so the broker and the
 * pipeline do not share a heap, but they, the load generator and the consumer share the machine's cores.
 *
 * <ul>
 *   <li>{@code kafka-latency}: per run, a fresh input and output topic; the system is started, then the driver writes
 *       {@code --rate} records/s for {@code --warmup-seconds} + {@code --seconds} and reads the output. Latency over
 *       the records sent after the warm-up: <em>visible</em> (when the driver's {@code read_committed} consumer got
 *       the record, minus the input record's Kafka timestamp) and <em>stamped</em> (output record's Kafka timestamp
 *       minus the input's); exact nearest-rank p50/p90/p99/max. {@code --intervals=100ms,1s}: MicroBatchRunner's
 *       {@code --batchInterval} and the loop's commit interval.
 *   <li>{@code kafka-throughput}: {@code --records} preloaded once into an input topic; per run the system copies all
 *       of it to a fresh output topic, timed from the start command (to a child JVM that is up and warmed by {@code
 *       --warmups} copies of {@code --warmup-records}) until the driver has read every record committed.
 * </ul>
 *
 * <p>Every run is verified: each input id arrives exactly once, transformed, or the run fails.
 */
public final class KafkaBenchmarks {

  static final String LATENCY = "kafka-latency";
  static final String THROUGHPUT = "kafka-throughput";
  static final List<String> MODES = List.of(LATENCY, THROUGHPUT);

  private KafkaBenchmarks() {}

  static boolean isMode(String arg) {
    return MODES.contains(arg);
  }

  /** One child JVM: a system at an interval. */
  record Job(KafkaWorker.SystemSpec system, String interval) {
    String label() {
      return system.name() + " " + interval;
    }
  }

  static void main(String mode, String[] args) throws Exception {
    // before anything initializes SLF4J: the broker logs a lot at INFO
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
        System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
    int code = run(mode, Args.parse(args), System.out);
    System.exit(code);
  }

  /** Runs {@code mode}; the report goes to {@code out}; returns the exit code (0: every run verified). */
  static int run(String mode, Map<String, String> opts, PrintStream out) throws Exception {
    if (!isMode(mode)) {
      throw new IllegalArgumentException("unknown mode " + mode + "; known: " + MODES);
    }
    boolean latency = LATENCY.equals(mode);
    int parallelism = Args.intValue(opts, "parallelism", Runtime.getRuntime().availableProcessors());
    int partitions = Args.intValue(opts, "partitions", 4);
    String heap = opts.getOrDefault("heap", "4g");
    String javaBin = opts.getOrDefault("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    Path logDir = Path.of(opts.getOrDefault("log-dir", "benchmarks/target/benchmark-logs"));
    Files.createDirectories(logDir);
    List<String> systems = Args.list(opts, "systems",
        latency ? List.of("beamline", "floor") : List.of("beamline", "beamline-1m", "floor"));
    List<String> intervals = Args.list(opts, "intervals", latency ? List.of("100ms", "1s") : List.of("1s"));
    List<Job> jobs = new ArrayList<>();
    for (String interval : intervals) {
      StreamingBenchmarks.intervalSeconds(interval); // validates
      for (String s : systems) {
        jobs.add(new Job(KafkaWorker.SystemSpec.parse(s), interval));
      }
    }
    int warmups = Args.intValue(opts, "warmups", latency ? 0 : 1);
    int iterations = Args.intValue(opts, "iterations", 2);
    double rate = Double.parseDouble(opts.getOrDefault("rate", "2000"));
    double seconds = Double.parseDouble(opts.getOrDefault("seconds", "30"));
    double warmupSeconds = Double.parseDouble(opts.getOrDefault("warmup-seconds", "10"));
    long records = StreamingWorker.parseSize(opts.getOrDefault("records", "2m"));
    long warmupRecords = StreamingWorker.parseSize(opts.getOrDefault("warmup-records", "200k"));
    double maxLoad = opts.containsKey("max-load") ? Double.parseDouble(opts.get("max-load")) : -1;
    int maxLoadWait = Args.intValue(opts, "max-load-wait-minutes", 30);

    Map<String, String> machine = MachineInfo.collect(javaBin);
    String launcher = System.getenv().getOrDefault("BEAMLINE_BENCH_LAUNCHER", "BenchmarkMain");
    List<String> argList = new ArrayList<>();
    opts.forEach((k, v) -> argList.add("--" + k + (v.isEmpty() ? "" : "=" + v)));
    String command = (launcher + " " + mode + " " + String.join(" ", argList)).trim();
    out.println("== Beamline Kafka benchmark: " + mode + " ==");
    machine.forEach((k, v) -> out.printf(Locale.ROOT, "%-7s %s%n", k + ":", v));
    out.println();

    List<ObjectNode> runs = new ArrayList<>();
    Map<String, String> loads = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    long preloadMs = -1;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      out.println("broker: embedded KRaft at " + bootstrap + " (in this JVM)");
      out.println("pipeline: Kafka -> transform -> " + (opts.containsKey("count-per-key")
          ? "count per key (keyed state, every update emitted) -> Kafka" : "Kafka"));
      Setup setup = new Setup(kafka, bootstrap, partitions, latency, rate, seconds, warmupSeconds, records,
          warmupRecords, out);
      if (!latency) {
        setup.createTopics(Setup.THROUGHPUT_IN, Setup.WARMUP_IN);
        long w = KafkaLoad.preload(bootstrap, Setup.WARMUP_IN, partitions, warmupRecords);
        preloadMs = KafkaLoad.preload(bootstrap, Setup.THROUGHPUT_IN, partitions, records);
        out.printf(Locale.ROOT, "preloaded %,d records into %s in %,d ms (%,d warm-up records in %,d ms)%n",
            records, Setup.THROUGHPUT_IN, preloadMs, warmupRecords, w);
      }
      for (Job job : jobs) {
        if (maxLoad > 0) {
          BenchmarkMain.waitForLoadBelow(maxLoad, maxLoadWait);
        }
        String before = MachineInfo.loadAverage();
        try {
          String classpath = Runners.classpathFor(job.system().runner(), BenchmarkMain.classpath());
          runChild(job, setup, warmups, iterations, parallelism, heap, javaBin, classpath, logDir, opts, runs, errors);
        } catch (Exception e) {
          errors.add(job.label() + ": " + BenchmarkWorker.rootMessage(e));
          out.println("   FAILED: " + BenchmarkWorker.rootMessage(e));
        }
        String load = before + " -> " + MachineInfo.loadAverage();
        loads.put(job.label(), load);
        out.println("   load average (1/5/15 min) before -> after: " + load);
      }
    }

    String body = latency ? KafkaReports.latencyReport(runs) : KafkaReports.throughputReport(runs);
    StringBuilder notes = new StringBuilder();
    notes.append('\n').append(setupLine(latency, partitions, parallelism, rate, seconds, warmupSeconds, records,
        warmupRecords, warmups, iterations, preloadMs)).append('\n');
    notes.append("\nLoad average (1/5/15 min) at start -> end of each child: ");
    List<String> l = new ArrayList<>();
    loads.forEach((k, v) -> l.add(k + " " + v));
    notes.append(String.join("; ", l)).append('\n');
    if (!errors.isEmpty()) {
      notes.append("\nFailures:\n\n");
      errors.forEach(e -> notes.append("- ").append(e.replace("|", "\\|")).append('\n'));
    }
    out.println();
    out.print(body);
    out.print(notes);
    if (opts.containsKey("markdown")) {
      StringBuilder md = new StringBuilder();
      md.append("### ").append(mode).append(" run of ").append(machine.get("date")).append("\n\n");
      md.append(BenchmarkMain.markdownHeader(machine, command));
      md.append("- One child JVM per system and interval (-Xmx").append(heap).append("), parallelism ")
          .append(parallelism).append("; broker, load generator and output consumer in the driver JVM; all on the"
              + " same ").append(machine.get("cores")).append(" cores\n\n");
      md.append(body).append(notes);
      String target = opts.get("markdown");
      if (target.isEmpty()) {
        out.println();
        out.print(md);
      } else {
        Files.writeString(Path.of(target), "\n" + md, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
        out.println("Markdown appended to " + target);
      }
    }
    if (opts.containsKey("json") && !opts.get("json").isEmpty()) {
      ObjectNode root = BenchmarkWorker.JSON.createObjectNode();
      ObjectNode m = root.putObject("machine");
      machine.forEach(m::put);
      root.put("command", command);
      root.put("preloadMs", preloadMs);
      ArrayNode arr = root.putArray("runs");
      runs.forEach(arr::add);
      ObjectNode ld = root.putObject("loads");
      loads.forEach(ld::put);
      errors.forEach(root.putArray("errors")::add);
      Files.writeString(Path.of(opts.get("json")), root.toPrettyString() + "\n", StandardCharsets.UTF_8);
    }
    if (!errors.isEmpty()) {
      out.println("Failures (see logs in " + logDir + "):");
      errors.forEach(e -> out.println("  " + e));
    }
    return errors.isEmpty() ? 0 : 1;
  }

  private static String setupLine(boolean latency, int partitions, int parallelism, double rate, double seconds,
      double warmupSeconds, long records, long warmupRecords, int warmups, int iterations, long preloadMs) {
    if (latency) {
      return String.format(Locale.ROOT,
          "Input: %,.0f records/s for %.0f s warm-up + %.0f s measured, %d partitions, record `id` to partition"
              + " `id %% %d`; %d run(s) per child JVM. Latency over the records sent after the warm-up. Parallelism"
              + " %d.", rate, warmupSeconds, seconds, partitions, partitions, iterations, parallelism);
    }
    return String.format(Locale.ROOT,
        "Input: %,d records preloaded into %d partitions (in %,d ms); per child JVM %d warm-up cop%s of %,d records,"
            + " then %d measured cop%s of all %,d. Parallelism %d.",
        records, partitions, preloadMs, warmups, warmups == 1 ? "y" : "ies", warmupRecords, iterations,
        iterations == 1 ? "y" : "ies", records, parallelism);
  }

  /** What every run of a mode shares. */
  static final class Setup {
    static final String THROUGHPUT_IN = "tp-in";
    static final String WARMUP_IN = "tp-warmup-in";

    final EmbeddedKafka kafka;
    final String bootstrap;
    final int partitions;
    final boolean latency;
    final double rate;
    final double seconds;
    final double warmupSeconds;
    final long records;
    final long warmupRecords;
    final PrintStream out;
    int topics;

    Setup(EmbeddedKafka kafka, String bootstrap, int partitions, boolean latency, double rate, double seconds,
        double warmupSeconds, long records, long warmupRecords, PrintStream out) {
      this.kafka = kafka;
      this.bootstrap = bootstrap;
      this.partitions = partitions;
      this.latency = latency;
      this.rate = rate;
      this.seconds = seconds;
      this.warmupSeconds = warmupSeconds;
      this.records = records;
      this.warmupRecords = warmupRecords;
      this.out = out;
    }

    String topic(Job job, String suffix) {
      return (latency ? "lat-" : "tp-") + job.system().name() + "-" + job.interval() + "-" + (++topics) + "-"
          + suffix;
    }

    /** Creates the topics and waits until the broker's metadata shows all their partitions with a leader. */
    void createTopics(String... names) throws Exception {
      kafka.createTopics(partitions, names);
      KafkaLoad.awaitPartitions(bootstrap, partitions, names);
    }

    void deleteTopics(String... names) {
      try (Admin admin = kafka.admin()) {
        admin.deleteTopics(List.of(names)).all().get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        out.println("   (could not delete topics " + String.join(",", names) + ": " + e + ")");
      }
    }
  }

  private static void runChild(
      Job job, Setup setup, int warmups, int iterations, int parallelism, String heap, String javaBin,
      String classpath, Path logDir, Map<String, String> opts, List<ObjectNode> runs, List<String> errors)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin);
    cmd.add("-Xmx" + heap);
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    if (job.system().beamline()) {
      cmd.addAll(Runners.spec(job.system().runner()).jvmFlags()); // FlinkRunner's --add-opens
    }
    String jvmArgs = opts.getOrDefault("child-jvm-args", "").trim(); // separated by spaces
    if (!jvmArgs.isEmpty()) {
      cmd.addAll(List.of(jvmArgs.split("\\s+")));
    }
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(KafkaWorker.class.getName());
    cmd.add("--system=" + job.system().name());
    cmd.add("--bootstrap=" + setup.bootstrap);
    cmd.add("--parallelism=" + parallelism);
    for (String key : List.of("tmp-dir", "microbatch-args", "realtime-args", "flink-args", "keep-checkpoints")) {
      if (opts.containsKey(key)) {
        cmd.add("--" + key + "=" + opts.get(key));
      }
    }
    if (opts.containsKey("count-per-key")) {
      cmd.add("--count-per-key");
    }
    String name = (job.system().name() + "-" + job.interval()).replaceAll("[^A-Za-z0-9-]", "");
    File log = logDir.resolve("kafka-" + name + ".log").toFile();
    PrintStream out = setup.out;
    out.println("-- " + job.label() + ": " + KafkaWorker.describe(job.system()) + " (child JVM; stderr -> " + log
        + ")");
    long launched = System.nanoTime();
    try (KafkaChild child = new KafkaChild(cmd, log, out)) {
      JsonNode ready = child.await("ready", 120, TimeUnit.SECONDS);
      out.printf(Locale.ROOT, "   pid %s, ready after %.1f s%n", ready.path("pid").asText(),
          (System.nanoTime() - launched) / 1e9);
      for (int i = 0; i < warmups + iterations; i++) {
        boolean warmup = i < warmups;
        int index = warmup ? i + 1 : i - warmups + 1;
        ObjectNode run;
        try {
          run = setup.latency ? latencyRun(child, job, setup) : throughputRun(child, job, setup, warmup);
        } catch (Exception e) {
          errors.add(job.label() + (warmup ? " warm-up " : " run ") + index + ": " + BenchmarkWorker.rootMessage(e));
          out.println("   FAILED: " + BenchmarkWorker.rootMessage(e));
          return;
        }
        run.put("system", job.system().name());
        run.put("interval", job.interval());
        run.put("phase", warmup ? "warmup" : "measure");
        run.put("iteration", index);
        out.println("   " + summary(run));
        if (!run.path("errors").isEmpty()) {
          run.path("errors").forEach(e -> errors.add(job.label() + " run " + index + ": " + e.asText()));
        }
        if (!warmup) {
          runs.add(run);
        }
      }
    } finally {
      out.printf(Locale.ROOT, "   child JVM done after %.1f s%n", (System.nanoTime() - launched) / 1e9);
    }
  }

  private static ObjectNode command(String name, String run) {
    ObjectNode c = BenchmarkWorker.JSON.createObjectNode();
    c.put("cmd", name);
    c.put("run", run);
    return c;
  }

  private static ObjectNode latencyRun(KafkaChild child, Job job, Setup setup) throws Exception {
    String in = setup.topic(job, "in");
    String out = setup.topic(job, "out");
    setup.createTopics(in, out);
    long total = Math.round(setup.rate * (setup.warmupSeconds + setup.seconds));
    long steadyFrom = Math.round(setup.rate * setup.warmupSeconds);
    ObjectNode result = BenchmarkWorker.JSON.createObjectNode();
    ArrayNode errors = result.putArray("errors");
    AtomicLongArray sentNanos = new AtomicLongArray(Math.toIntExact(total));
    try (KafkaLoad.Tail tail = new KafkaLoad.Tail(setup.bootstrap, out, total, steadyFrom, true, sentNanos)) {
      ObjectNode start = command("start", out);
      start.put("in", in);
      start.put("out", out);
      start.put("interval", job.interval());
      child.send(start);
      JsonNode started = child.await("started", 120, TimeUnit.SECONDS);
      KafkaLoad.Sent sent = KafkaLoad.fixedRate(setup.bootstrap, in, setup.partitions, total, setup.rate, steadyFrom,
          sentNanos);
      double interval = StreamingBenchmarks.intervalSeconds(job.interval());
      boolean complete = tail.awaitComplete(Math.round(60 + 5 * interval), TimeUnit.SECONDS);
      ObjectNode stop = command("stop", out);
      stop.put("windowStartMs", sent.steadyFromMs());
      stop.put("windowEndMs", sent.lastMs());
      child.send(stop);
      JsonNode stopped = child.await("stopped", 120, TimeUnit.SECONDS);
      tail.close();
      if (!complete) {
        errors.add("only " + tail.distinct() + " of " + total + " records arrived within the drain timeout");
      }
      result.put("startMs", started.path("startMs").asDouble());
      result.put("rate", setup.rate);
      result.put("records", total);
      result.put("measuredRecords", total - steadyFrom);
      result.put("seconds", setup.seconds);
      result.put("sendSeconds", (sent.lastMs() - sent.firstMs()) / 1000.0);
      putPercentiles(result, "visibleMs", tail.visibleLatencies());
      putPercentiles(result, "stampedMs", tail.stampedLatencies());
      putPercentiles(result, "visibleUs", tail.visibleMicroLatencies());
      result.set("child", stopped);
      verify(job, tail, total, result, errors);
    } finally {
      setup.deleteTopics(in, out);
    }
    return result;
  }

  private static ObjectNode throughputRun(KafkaChild child, Job job, Setup setup, boolean warmup) throws Exception {
    String in = warmup ? Setup.WARMUP_IN : Setup.THROUGHPUT_IN;
    long total = warmup ? setup.warmupRecords : setup.records;
    String out = setup.topic(job, "out");
    setup.createTopics(out);
    ObjectNode result = BenchmarkWorker.JSON.createObjectNode();
    ArrayNode errors = result.putArray("errors");
    try (KafkaLoad.Tail tail = new KafkaLoad.Tail(setup.bootstrap, out, total, Long.MAX_VALUE, false, null)) {
      ObjectNode start = command("start", out);
      start.put("in", in);
      start.put("out", out);
      start.put("interval", job.interval());
      long t0 = System.nanoTime();
      child.send(start);
      JsonNode started = child.await("started", 120, TimeUnit.SECONDS);
      boolean complete = tail.awaitComplete(Math.max(300, total / 2000), TimeUnit.SECONDS);
      long t1 = tail.completeNanos();
      ObjectNode stop = command("stop", out);
      child.send(stop);
      JsonNode stopped = child.await("stopped", 120, TimeUnit.SECONDS);
      tail.close();
      if (!complete) {
        errors.add("only " + tail.distinct() + " of " + total + " records arrived within the timeout");
      } else {
        double seconds = (t1 - t0) / 1e9;
        result.put("seconds", seconds);
        result.put("recordsPerSecond", total / seconds);
        result.put("firstOutputSeconds", (tail.firstNanos() - t0) / 1e9);
      }
      result.put("startMs", started.path("startMs").asDouble());
      result.put("records", total);
      result.set("child", stopped);
      verify(job, tail, total, result, errors);
    } finally {
      setup.deleteTopics(out);
    }
    return result;
  }

  private static void verify(Job job, KafkaLoad.Tail tail, long total, ObjectNode result, ArrayNode errors) {
    result.put("distinct", tail.distinct());
    result.put("duplicates", tail.duplicates());
    tail.problems().forEach(errors::add);
    if (tail.distinct() != total) {
      errors.add(tail.distinct() + " distinct records in the output, expected " + total);
    }
    if (tail.duplicates() > 0) {
      String d = tail.duplicates() + " duplicates in the read_committed output";
      if (job.system().exactlyOnce()) {
        errors.add(d);
      } else {
        result.put("note", d + " (at-least-once)");
      }
    }
    result.put("result", "records=" + tail.distinct() + ",duplicates=" + tail.duplicates()
        + (errors.isEmpty() ? ",verified" : ",FAILED"));
  }

  private static void putPercentiles(ObjectNode node, String field, long[] values) {
    if (values.length == 0) {
      return;
    }
    Percentiles.of(values).writeTo(node.putObject(field));
  }

  private static String summary(JsonNode run) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-7s %d:", run.path("phase").asText(), run.path("iteration").asInt()));
    JsonNode v = run.path("visibleMs");
    if (!v.isMissingNode()) {
      JsonNode s = run.path("stampedMs");
      JsonNode us = run.path("visibleUs");
      sb.append(String.format(Locale.ROOT, " visible p50 %.0f p99 %.0f max %.0f ms; stamped p50 %.0f p99 %.0f ms;"
              + " visible on the ns clock p50 %.2f p99 %.2f ms;",
          v.path("p50").asDouble(), v.path("p99").asDouble(), v.path("max").asDouble(), s.path("p50").asDouble(),
          s.path("p99").asDouble(), us.path("p50").asDouble() / 1000, us.path("p99").asDouble() / 1000));
    }
    if (run.has("recordsPerSecond")) {
      sb.append(String.format(Locale.ROOT, " %,d records in %.2f s = %,.0f records/s (first output after %.2f s);",
          run.path("records").asLong(), run.path("seconds").asDouble(), run.path("recordsPerSecond").asDouble(),
          run.path("firstOutputSeconds").asDouble()));
    }
    JsonNode e = run.path("child").path("epochs");
    if (!e.isMissingNode()) {
      sb.append(String.format(Locale.ROOT, " %d epochs in window (%d in all), work median %s ms, sinkCommit median"
              + " %s ms;", e.path("epochs").asInt(), run.path("child").path("epochsTotal").asInt(),
          KafkaReports.num(e.path("phasesMs").path(EpochStats.AFTER_READ), "median", 0),
          KafkaReports.num(e.path("phasesMs").path("sinkCommit"), "median", 0)));
    }
    if (e.isMissingNode() && run.path("child").has("epochsTotal")) {
      sb.append(" no epochs in the window (").append(run.path("child").path("epochsTotal").asInt())
          .append(" in all);");
    }
    JsonNode t = run.path("child").path("transactions");
    if (!t.isMissingNode()) {
      sb.append(String.format(Locale.ROOT, " %d transactions, commit median %.1f ms;", t.path("count").asInt(),
          t.path("commitMedianMs").asDouble()));
    }
    sb.append(String.format(Locale.ROOT, " started in %.0f ms, stopped in %.0f ms",
        run.path("startMs").asDouble(), run.path("child").path("stopMs").asDouble()));
    sb.append(" [").append(run.path("result").asText()).append(']');
    return sb.toString();
  }
}
