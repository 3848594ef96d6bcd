package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.internal.checkpoint.CheckpointFiles;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Child JVM of {@link StreamingBenchmarks}: runs one streaming benchmark on one runner with one variant, and
 * reports one JSON line per run on stdout (type {@code run}, with phase {@code warmup} or {@code measure}), plus
 * {@code probe}, {@code error} and {@code done} lines. Everything the libraries print goes to stderr.
 *
 * <p>Modes ({@code --mode=}):
 *
 * <ul>
 *   <li>{@code epoch-cost} (MicroBatchRunner only): {@code --epochs} numbers, one per epoch ({@code
 *       --batchInterval=0ms --maxRecordsPerBatch=1}, one reader), through the stateful counter. Variant {@code
 *       disk}: {@code --checkpointDir} in a new directory under {@code --tmp-dir}; {@code tmpfs}: under {@code
 *       --shm-dir} (fsync costs nothing on tmpfs); {@code none}: a TestStream with one element per event and no
 *       checkpoint directory (a run reading an UnboundedSource always has one). Reports statistics of {@code
 *       durationMs} over every epoch of the measured run, from the progress file, and a probe: the time of one
 *       {@code CheckpointFiles.write} (temp file, write, fsync, rename, fsync of the directory) in that directory.
 *   <li>{@code latency}: {@code --rate} numbers per second for {@code --seconds}, event timestamp = the wall-clock
 *       time each became available; the last DoFn records {@code now - timestamp}. On MicroBatchRunner the variant
 *       is the {@code --batchInterval}; checkpoints go to {@code --tmp-dir}.
 *   <li>{@code stateful-streaming}: {@code --records} numbers as fast as the runner reads them, {@code --keys}
 *       keys, stateful count per key; wall time of construction + run + waitUntilFinish. On MicroBatchRunner the
 *       variant is where the checkpoint directory is ({@code disk} or {@code tmpfs}). On RealtimeRunner it is
 *       {@code none} (no checkpoints, {@code --checkpointInterval=0}) or where barrier checkpoints go every
 *       {@code --checkpoint-interval} (default {@code 100ms}); the checkpoints completed are read from its progress
 *       file (a line every 20 ms, so nearly every checkpoint) and reported as {@code checkpoints}: how many, and
 *       percentiles of {@code writeMs}, {@code rocksDbSnapshotMs} and {@code alignmentMs}.
 * </ul>
 *
 * <p>{@code --microbatch-args=--a=1,--b=2} adds pipeline arguments to MicroBatchRunner's latency and
 * stateful-streaming runs (e.g. {@code --maxRecordsPerBatch=1000000}); {@code --realtime-args} to RealtimeRunner's
 * stateful-streaming runs (e.g. {@code --stateBackend=rocksdb}).
 */
public final class StreamingWorker {

  static final String EPOCH_COST = "epoch-cost";
  static final String LATENCY = "latency";
  static final String STATEFUL = "stateful-streaming";

  private static final Pattern SIZE = Pattern.compile("(\\d+)([kmKM]?)");

  private final Map<String, String> opts;
  private final String mode;
  private final String runner;
  private final String variant;
  private final int parallelism;
  private final PrintStream results;

  StreamingWorker(Map<String, String> opts, PrintStream results) {
    this.opts = opts;
    this.mode = Args.require(opts, "mode");
    this.runner = Args.require(opts, "runner");
    this.variant = opts.getOrDefault("variant", "-");
    this.parallelism = Args.intValue(opts, "parallelism", Runtime.getRuntime().availableProcessors());
    this.results = results;
  }

  public static void main(String[] args) {
    PrintStream results = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err);
    boolean ok = new StreamingWorker(Args.parse(args), results).runAll();
    results.flush();
    System.exit(ok ? 0 : 1); // runners may leave non-daemon threads behind
  }

  boolean runAll() {
    ObjectNode start = line("start");
    start.put("pid", ProcessHandle.current().pid());
    start.put("pipelineArgs", String.join(" ", Runners.streamingPipelineArgs(runner, parallelism)));
    emit(start);
    int warmups = Args.intValue(opts, "warmups", 1);
    int iterations = Args.intValue(opts, "iterations", 1);
    for (int i = 0; i < warmups + iterations; i++) {
      boolean warmup = i < warmups;
      String phase = warmup ? "warmup" : "measure";
      int index = warmup ? i + 1 : i - warmups + 1;
      try {
        ObjectNode run = runOnce(warmup);
        run.put("phase", phase);
        run.put("iteration", index);
        emit(run);
      } catch (Throwable t) {
        ObjectNode error = line("error");
        error.put("phase", phase);
        error.put("iteration", index);
        error.put("message", BenchmarkWorker.rootMessage(t));
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        System.err.println("[streaming worker " + runner + " " + mode + " " + variant + "] failed:\n" + trace);
        emit(error);
        return false;
      }
    }
    if (EPOCH_COST.equals(mode) && !"none".equals(variant)) {
      try {
        emit(fsyncProbe());
      } catch (IOException e) {
        System.err.println("fsync probe failed: " + e);
      }
    }
    emit(line("done"));
    return true;
  }

  private ObjectNode runOnce(boolean warmup) throws Exception {
    switch (mode) {
      case EPOCH_COST:
        return epochCost(warmup);
      case LATENCY:
        return latency(warmup);
      case STATEFUL:
        return stateful();
      default:
        throw new IllegalArgumentException("unknown --mode=" + mode);
    }
  }

  // ----------------------------------------------------------------------------------------------------- modes

  private ObjectNode epochCost(boolean warmup) throws Exception {
    if (!Runners.MICRO_BATCH.equals(runner)) {
      throw new IllegalArgumentException("epoch-cost measures MicroBatchRunner's epochs; got " + runner);
    }
    long records = Args.intValue(opts, warmup ? "warmup-epochs" : "epochs", warmup ? 200 : 1000);
    long keys = Args.intValue(opts, "keys", 10);
    boolean none = "none".equals(variant);
    Path dir = none ? Files.createTempDirectory(tmpDir(), "beamline-bench-progress-") : checkpointDir();
    try {
      Path progressFile = dir.resolve("progress.jsonl");
      List<String> args = new ArrayList<>(Runners.streamingPipelineArgs(runner, parallelism));
      args.add("--batchInterval=0ms");
      args.add("--maxRecordsPerBatch=1");
      args.add(none ? "--progressFile=" + progressFile : "--checkpointDir=" + dir);
      PipelineOptions options = options(args);
      StreamingPipelines.ForwardingRun run =
          StreamingPipelines.forwarding(
              options, "epoch-cost", none ? StreamingPipelines.testStream(records)
                  : StreamingPipelines.unboundedRead(records, 0, 1), records, keys, false);
      long t0 = System.nanoTime();
      runToEnd(run.built);
      long t1 = System.nanoTime();
      ObjectNode out = line("run");
      out.put("result", run.built.verify());
      out.put("ms", (t1 - t0) / 1e6);
      out.put("checkpointDir", none ? "" : dir.toString());
      out.set("epochs", EpochStats.of(EpochStats.readProgressFile(progressFile)).toJson());
      return out;
    } finally {
      BenchmarkPipelines.deleteRecursively(dir);
    }
  }

  private ObjectNode latency(boolean warmup) throws Exception {
    double rate = Double.parseDouble(opts.getOrDefault("rate", "1000"));
    double seconds = Double.parseDouble(opts.getOrDefault(warmup ? "warmup-seconds" : "seconds", warmup ? "5" : "30"));
    long keys = Args.intValue(opts, "keys", 100);
    long records = Math.round(rate * seconds);
    boolean microBatch = Runners.MICRO_BATCH.equals(runner);
    Path dir = microBatch ? Files.createTempDirectory(tmpDir(), "beamline-bench-ckpt-") : null;
    try {
      List<String> args = new ArrayList<>(Runners.streamingPipelineArgs(runner, parallelism));
      if (microBatch) {
        args.add("--batchInterval=" + variant);
        args.add("--checkpointDir=" + dir);
        args.addAll(Args.list(opts, "microbatch-args", List.of()));
      }
      StreamingPipelines.ForwardingRun run =
          StreamingPipelines.forwarding(
              options(args), "latency", StreamingPipelines.unboundedRead(records, rate, parallelism), records, keys,
              true);
      long t0 = System.nanoTime();
      runToEnd(run.built);
      long t1 = System.nanoTime();
      long[] latencies = run.latenciesMs();
      ObjectNode out = line("run");
      out.put("result", run.built.verify());
      out.put("ms", (t1 - t0) / 1e6);
      out.put("records", records);
      out.put("rate", rate);
      out.put("seconds", seconds);
      Percentiles.of(latencies).writeTo(out.putObject("latencyMs"));
      if (microBatch) {
        out.set("epochs", EpochStats.of(EpochStats.readProgressFile(dir.resolve("progress.jsonl"))).toJson());
      }
      return out;
    } finally {
      if (dir != null) {
        BenchmarkPipelines.deleteRecursively(dir);
      }
    }
  }

  private ObjectNode stateful() throws Exception {
    long records = parseSize(opts.getOrDefault("records", "2m"));
    long keys = parseSize(opts.getOrDefault("keys", "100k"));
    boolean microBatch = Runners.MICRO_BATCH.equals(runner);
    boolean realtime = Runners.REALTIME.equals(runner);
    boolean realtimeCheckpoints = realtime && !"none".equals(variant) && !"-".equals(variant);
    Path dir = microBatch || realtimeCheckpoints ? checkpointDir() : null;
    try {
      long cpu0 = processCpuNanos();
      long t0 = System.nanoTime();
      List<String> args = new ArrayList<>(Runners.streamingPipelineArgs(runner, parallelism));
      if (realtime) {
        if (realtimeCheckpoints) {
          args.remove("--checkpointInterval=0");
          args.add("--checkpointInterval=" + opts.getOrDefault("checkpoint-interval", "100ms"));
          args.add("--checkpointDir=" + dir.resolve("checkpoint"));
          args.add("--progressFile=" + dir.resolve("progress-rt.jsonl"));
          args.add("--progressInterval=20ms");
        }
        args.addAll(Args.list(opts, "realtime-args", List.of()));
      }
      if (microBatch) {
        args.add("--checkpointDir=" + dir);
        args.addAll(Args.list(opts, "microbatch-args", List.of()));
        if ("ui-off".equals(variant)) {
          args.add("--uiPort=0");
        } else if ("ui-on".equals(variant)) {
          args.add("--uiPort=-1");
        }
      }
      BenchmarkPipelines.BuiltPipeline built =
          StreamingPipelines.statefulCount(options(args), "stateful-streaming", records, keys, parallelism);
      UiScraper scraper = null;
      if ("true".equals(opts.get("scrape"))) {
        scraper = runScraped(built);
      } else {
        runToEnd(built);
      }
      long t1 = System.nanoTime();
      // the job's CPU time: the whole process's (driver, tasks, GC, JIT, UI server) minus the scraping client's,
      // which stands for a Prometheus server and a browser elsewhere
      long jobCpu = processCpuNanos() - cpu0 - (scraper == null ? 0 : scraper.clientCpuNanos());
      ObjectNode out = line("run");
      out.put("scrapes", scraper == null ? 0 : scraper.rounds());
      out.put("cpuMs", jobCpu / 1e6);
      out.put("cpuMicrosPerRecord", jobCpu / 1e3 / records);
      if (scraper != null) {
        out.put("scrapeMs", scraper.busyNanos() / 1e6);
        out.put("serverCpuMs", scraper.serverCpuNanos() / 1e6);
        out.put("serverAllocatedBytes", scraper.serverAllocatedBytes());
        out.put("allAllocatedBytes", scraper.allAllocatedBytes());
        out.put("gcMs", scraper.gcMillis());
      }
      out.put("result", built.verify());
      double ms = (t1 - t0) / 1e6;
      out.put("ms", ms);
      out.put("records", records);
      out.put("keys", keys);
      out.put("recordsPerSecond", records / (ms / 1e3));
      if (microBatch) {
        out.set("epochs", EpochStats.of(EpochStats.readProgressFile(dir.resolve("progress.jsonl"))).toJson());
      }
      if (realtimeCheckpoints) {
        out.set("checkpoints", realtimeCheckpoints(dir.resolve("progress-rt.jsonl")));
      }
      return out;
    } finally {
      if (dir != null) {
        BenchmarkPipelines.deleteRecursively(dir);
      }
    }
  }

  /**
   * The barrier checkpoints a RealtimeRunner progress file reports (each line names the last one completed; one
   * entry per epoch): {@code count}, the largest {@code stateBytes} and {@code rocksDbBytes}, and percentiles of
   * {@code writeMs}, {@code rocksDbSnapshotMs} (with RocksDB state) and {@code alignmentMs}.
   */
  private static ObjectNode realtimeCheckpoints(Path progressFile) throws IOException {
    Map<Long, JsonNode> byEpoch = new LinkedHashMap<>();
    for (String text : Files.readAllLines(progressFile, StandardCharsets.UTF_8)) {
      JsonNode checkpoint = BenchmarkWorker.JSON.readTree(text).path("checkpoint");
      if (!checkpoint.isMissingNode() && !checkpoint.isNull()) {
        byEpoch.putIfAbsent(checkpoint.path("epoch").asLong(), checkpoint);
      }
    }
    ObjectNode out = BenchmarkWorker.JSON.createObjectNode();
    out.put("count", byEpoch.size());
    for (String field : List.of("writeMs", "rocksDbSnapshotMs", "alignmentMs")) {
      List<Double> values = new ArrayList<>();
      byEpoch.values().stream()
          .filter(c -> c.hasNonNull(field))
          .forEach(c -> values.add(c.path(field).asDouble()));
      if (!values.isEmpty()) {
        Percentiles.of(values).writeTo(out.putObject(field));
      }
    }
    out.put("maxStateBytes", byEpoch.values().stream().mapToLong(c -> c.path("stateBytes").asLong()).max().orElse(0));
    out.put(
        "maxRocksDbBytes", byEpoch.values().stream().mapToLong(c -> c.path("rocksDbBytes").asLong()).max().orElse(0));
    return out;
  }

  /**
   * Times {@code CheckpointFiles.write} of a 256-byte payload, 300 times, in a fresh directory like the variant's
   * checkpoint directory: the durable-file protocol every epoch pays three times (offsets, state, commit).
   */
  private ObjectNode fsyncProbe() throws IOException {
    Path dir = checkpointDir();
    try {
      byte[] payload = new byte[256];
      int n = 300;
      double[] ms = new double[n];
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        CheckpointFiles.write(dir.resolve("probe").resolve(Integer.toString(i)), payload);
        ms[i] = (System.nanoTime() - t0) / 1e6;
      }
      Percentiles p = Percentiles.of(ms);
      ObjectNode out = line("probe");
      out.put("writes", n);
      out.put("median", p.median());
      out.put("p99", p.percentile(99));
      out.put("max", p.max());
      out.put("mean", p.mean());
      return out;
    } finally {
      BenchmarkPipelines.deleteRecursively(dir);
    }
  }

  // --------------------------------------------------------------------------------------------------- helpers

  private static PipelineOptions options(List<String> args) {
    return PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).withValidation().create();
  }

  private static long runToEnd(BenchmarkPipelines.BuiltPipeline built) {
    PipelineResult.State state = built.pipeline().run().waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException(built.description() + " finished in state " + state);
    }
    return 0;
  }

  /**
   * Runs to the end while a {@link UiScraper} fetches the web UI once a second, as a Prometheus server and an
   * open page do.
   *
   * @return the scraper, stopped, with its figures
   */
  private static UiScraper runScraped(BenchmarkPipelines.BuiltPipeline built) throws Exception {
    PipelineResult result = built.pipeline().run();
    java.net.URI ui = ((io.beamline.runners.microbatch.MicroBatchPipelineResult) result).uiUri();
    if (ui == null) {
      throw new IllegalStateException("ui-on run without a web UI");
    }
    UiScraper scraper = new UiScraper(ui);
    scraper.start();
    try {
      PipelineResult.State state = result.waitUntilFinish();
      if (state != PipelineResult.State.DONE) {
        throw new IllegalStateException(built.description() + " finished in state " + state);
      }
    } finally {
      scraper.stop();
    }
    return scraper;
  }

  /** CPU time of this JVM's process so far, ns (all threads, including GC and JIT). */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private Path tmpDir() {
    return Path.of(opts.getOrDefault("tmp-dir", System.getProperty("java.io.tmpdir")));
  }

  /** A new, empty checkpoint directory for the variant: {@code disk} under --tmp-dir, {@code tmpfs} under --shm-dir. */
  private Path checkpointDir() throws IOException {
    switch (variant) {
      case "disk":
      case "ui-off":
      case "ui-on":
        return Files.createTempDirectory(tmpDir(), "beamline-bench-ckpt-");
      case "tmpfs":
        return Files.createTempDirectory(Path.of(opts.getOrDefault("shm-dir", "/dev/shm")), "beamline-bench-ckpt-");
      default:
        throw new IllegalArgumentException(
            "checkpoint variant must be disk or tmpfs (or none for epoch-cost), got '" + variant + "'");
    }
  }

  private ObjectNode line(String type) {
    ObjectNode node = BenchmarkWorker.JSON.createObjectNode();
    node.put("type", type);
    node.put("runner", runner);
    node.put("mode", mode);
    node.put("variant", variant);
    return node;
  }

  private void emit(ObjectNode node) {
    results.println(node.toString());
    results.flush();
  }

  /** {@code 2m} → 2,000,000, {@code 100k} → 100,000, {@code 500} → 500. */
  static long parseSize(String value) {
    Matcher m = SIZE.matcher(value.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a count like 500, 100k or 2m, got '" + value + "'");
    }
    return BenchmarkPipelines.parseCount(m.group(1), m.group(2));
  }
}
