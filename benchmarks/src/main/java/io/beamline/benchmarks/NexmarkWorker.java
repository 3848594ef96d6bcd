package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.nexmark.NexmarkConfiguration;
import org.apache.beam.sdk.nexmark.model.KnownSize;
import org.apache.beam.sdk.nexmark.queries.NexmarkQueryModel;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.TimestampedValue;

/**
 * Child JVM of {@link NexmarkBenchmarks}: runs Nexmark queries on one runner in one mode (batch or streaming) and
 * reports one JSON line per run on stdout; everything the libraries print goes to stderr.
 *
 * <p>Per query: first a <b>check run</b> ({@code --check-events} events from one generator, the configuration
 * Nexmark's models simulate; skipped with {@code --check-events=0}): its results are collected and compared with
 * the query's model where Nexmark has one ({@code NexmarkQueryModel.assertionFor()}), and its digest is reported;
 * then {@code --warmups} and {@code --iterations} timed runs of {@code --events} events from {@code --generators}
 * generators (Nexmark's default: 100), each reporting wall time (options + construction + run +
 * waitUntilFinish) and its digest ({@link NexmarkDigest}). A failing query is reported as an {@code error} line
 * and the worker goes on with the next query.
 *
 * <p>Arguments: {@code --runner=NAME --mode=batch|streaming --queries=0,1,2 --events=N --check-events=N
 * --generators=N --warmups=N --iterations=N --parallelism=N [--tmp-dir=DIR] [--microbatch-args=--a=1,--b=2]}.
 *
 * <p>Line types: {@code start}, {@code check} (query, events, ms, results, digest, model: {@code ok}, {@code
 * none} or {@code failed: ...}), {@code run} (query, phase {@code warmup}|{@code measure}, iteration, events, ms,
 * results, digest), {@code error} (query, phase, message), {@code done}.
 */
public final class NexmarkWorker {

  private static final AtomicLong RUN_IDS = new AtomicLong();

  private final Map<String, String> opts;
  private final String runner;
  private final boolean streaming;
  private final int parallelism;
  private final PrintStream out;

  NexmarkWorker(Map<String, String> opts, PrintStream out) {
    this.opts = opts;
    this.runner = Args.require(opts, "runner");
    String mode = opts.getOrDefault("mode", "batch");
    if (!mode.equals("batch") && !mode.equals("streaming")) {
      throw new IllegalArgumentException("--mode must be batch or streaming, got " + mode);
    }
    this.streaming = mode.equals("streaming");
    this.parallelism = Args.intValue(opts, "parallelism", Runtime.getRuntime().availableProcessors());
    this.out = out;
  }

  public static void main(String[] args) {
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err);
    boolean ok = new NexmarkWorker(Args.parse(args), out).runAll();
    out.flush();
    System.exit(ok ? 0 : 1); // runners may leave non-daemon threads behind
  }

  boolean runAll() {
    ObjectNode start = line("start");
    start.put("pid", ProcessHandle.current().pid());
    start.put("pipelineArgs", String.join(" ", baseArgs()));
    emit(start);
    boolean ok = true;
    for (int q : NexmarkQueries.parse(opts.getOrDefault("queries", "0-12"))) {
      ok &= runQuery(q);
    }
    emit(line("done"));
    return ok;
  }

  private boolean runQuery(int q) {
    long checkEvents = sizeOpt("check-events", 100_000);
    long events = sizeOpt("events", 1_000_000);
    int generators = Args.intValue(opts, "generators", 100);
    int warmups = Args.intValue(opts, "warmups", 1);
    int iterations = Args.intValue(opts, "iterations", 3);
    String phase = "check";
    int index = 1;
    try {
      if (checkEvents > 0) {
        emit(check(q, checkEvents));
      }
      for (int i = 0; i < warmups + iterations; i++) {
        phase = i < warmups ? "warmup" : "measure";
        index = i < warmups ? i + 1 : i - warmups + 1;
        NexmarkConfiguration c = NexmarkQueries.configuration(q, events, generators);
        Run run = run(c, false);
        ObjectNode line = runLine("run", q, events, run);
        line.put("phase", phase);
        line.put("iteration", index);
        emit(line);
      }
      return true;
    } catch (Throwable t) {
      ObjectNode error = line("error");
      error.put("query", q);
      error.put("phase", phase);
      error.put("iteration", index);
      error.put("message", BenchmarkWorker.rootMessage(t));
      StringWriter trace = new StringWriter();
      t.printStackTrace(new PrintWriter(trace));
      System.err.println("[nexmark worker " + runner + "] q" + q + " " + phase + " failed:\n" + trace);
      emit(error);
      return false;
    }
  }

  /** The check run of query {@code q}: one generator, results collected and compared with the model. */
  private ObjectNode check(int q, long events) throws IOException {
    NexmarkConfiguration c = NexmarkQueries.configuration(q, events, 1);
    Run run = run(c, true);
    ObjectNode line = runLine("check", q, events, run);
    line.put("model", modelCheck(q, c, run.outcome.collected()));
    return line;
  }

  /** {@code ok}, {@code none} (no model) or {@code failed: <first line>}; the whole message goes to stderr. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static String modelCheck(int q, NexmarkConfiguration c, List<NexmarkDigest.Collected> collected) {
    NexmarkQueryModel<?> model = NexmarkQueries.model(q, c);
    if (model == null) {
      return "none";
    }
    List<TimestampedValue<KnownSize>> results = NexmarkDigest.inEmissionOrder(collected);
    SerializableFunction<Iterable<TimestampedValue<KnownSize>>, Void> assertion;
    try {
      assertion = (SerializableFunction) model.assertionFor();
    } catch (AssertionError e) {
      // NexmarkQueryModel.assertionFor asserts that the model expects at least one result
      return "failed: the model expects no result from " + c.numEvents + " events; check with more events";
    }
    try {
      assertion.apply(results);
      return "ok";
    } catch (AssertionError e) {
      String message = String.valueOf(e.getMessage());
      System.err.println("[nexmark worker] q" + q + " model check failed (" + results.size() + " results): "
          + message.substring(0, Math.min(20_000, message.length())));
      String first = message.strip().split("\\R", 2)[0];
      return "failed: " + first + " (" + results.size() + " results; details in the child's log)";
    }
  }

  /** One run's wall time and outcome. */
  private record Run(double ms, NexmarkDigest.Outcome outcome) {}

  private Run run(NexmarkConfiguration c, boolean collect) throws IOException {
    int q = Integer.parseInt(c.query.getNumberOrName());
    String runId = runner + "-q" + q + "-" + RUN_IDS.incrementAndGet();
    Path scratch = streaming ? Files.createTempDirectory(tmpDir(), "beamline-nexmark-") : null;
    try {
      List<String> args = new ArrayList<>(baseArgs());
      RunnerSpec spec = Runners.spec(runner);
      if (streaming && spec != null) {
        args.addAll(spec.perRunStreamingArgs().apply(scratch.resolve("run")));
      }
      NexmarkDigest sink = NexmarkDigest.start(runId, NexmarkQueries.canonical(q), collect);
      long t0 = System.nanoTime();
      PipelineOptions options =
          PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).withValidation().create();
      options.setJobName("nexmark-q" + q + "-" + RUN_IDS.get());
      Pipeline pipeline = Pipeline.create(options);
      NexmarkQueries.apply(pipeline, c, streaming).apply("Q" + q + ".Digest", ParDo.of(sink));
      PipelineResult result = pipeline.run();
      PipelineResult.State state = result.waitUntilFinish();
      long t1 = System.nanoTime();
      NexmarkDigest.Outcome outcome = NexmarkDigest.finish(runId);
      if (state != PipelineResult.State.DONE) {
        throw new IllegalStateException("query " + q + " finished in state " + state);
      }
      return new Run((t1 - t0) / 1e6, outcome);
    } finally {
      if (scratch != null) {
        BenchmarkPipelines.deleteRecursively(scratch);
      }
    }
  }

  /** The runner's pipeline arguments for this mode, plus {@code --microbatch-args} on MicroBatchRunner. */
  private List<String> baseArgs() {
    List<String> args =
        new ArrayList<>(
            streaming
                ? Runners.streamingPipelineArgs(runner, parallelism)
                : Runners.pipelineArgs(runner, parallelism));
    if (Runners.MICRO_BATCH.equals(runner)) {
      args.addAll(Args.list(opts, "microbatch-args", List.of()));
    }
    return args;
  }

  private ObjectNode runLine(String type, int q, long events, Run run) {
    ObjectNode line = line(type);
    line.put("query", q);
    line.put("events", events);
    line.put("ms", Math.round(run.ms * 10) / 10.0);
    line.put("results", run.outcome.results());
    line.put("digest", run.outcome.digest());
    return line;
  }

  private long sizeOpt(String key, long dflt) {
    String v = opts.get(key);
    return v == null || v.isEmpty() ? dflt : NexmarkBenchmarks.parseSize(v);
  }

  private Path tmpDir() {
    return Path.of(opts.getOrDefault("tmp-dir", System.getProperty("java.io.tmpdir")));
  }

  private ObjectNode line(String type) {
    ObjectNode node = BenchmarkWorker.JSON.createObjectNode();
    node.put("type", type);
    node.put("runner", runner);
    node.put("mode", streaming ? "streaming" : "batch");
    return node;
  }

  private void emit(ObjectNode node) {
    out.println(node.toString());
    out.flush();
  }
}
