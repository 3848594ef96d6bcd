package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Runs warm-ups and measured iterations of each pipeline on one runner, inside the current JVM, and reports one
 * JSON line per run on stdout (everything else the libraries print is diverted to stderr).
 *
 * <p>Arguments: {@code --runner=NAME --pipelines=a,b --warmups=2 --iterations=5 [--parallelism=N]}.
 *
 * <p>Each run builds fresh options and a fresh pipeline; the timed span is pipeline construction plus {@code
 * pipeline.run().waitUntilFinish()}. Verification happens after the clock stops. A run that fails (or whose result
 * is wrong) is reported as an {@code error} line and the remaining runs of that pipeline are skipped.
 *
 * <p>JSON line types: {@code start}, {@code run} (phase {@code warmup} or {@code measure}, {@code ms}, {@code
 * result}: a fingerprint of the verified result, the same on every correct runner), {@code error}, {@code done}.
 */
public final class BenchmarkWorker {

  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A line a child JVM printed on stdout, parsed: the harness's JSON line, or null for anything else
   * (what a library printed).
   */
  static JsonNode jsonLine(String line) {
    if (!line.startsWith("{")) {
      return null;
    }
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      return null; // not one of ours
    }
  }

  private final String runner;
  private final List<String> pipelines;
  private final int warmups;
  private final int iterations;
  private final int parallelism;
  private final PrintStream results;

  BenchmarkWorker(
      String runner, List<String> pipelines, int warmups, int iterations, int parallelism, PrintStream results) {
    this.runner = runner;
    this.pipelines = pipelines;
    this.warmups = warmups;
    this.iterations = iterations;
    this.parallelism = parallelism;
    this.results = results;
  }

  public static void main(String[] args) {
    // Keep stdout for our JSON lines only; log output from Beam/Flink/the runner goes to stderr.
    PrintStream results =
        new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err);

    Map<String, String> opts = Args.parse(args);
    String runner = Args.require(opts, "runner");
    List<String> pipelines = Args.list(opts, "pipelines", BenchmarkPipelines.DEFAULT_PIPELINES);
    int warmups = Args.intValue(opts, "warmups", 2);
    int iterations = Args.intValue(opts, "iterations", 5);
    int parallelism = Args.intValue(opts, "parallelism", Runtime.getRuntime().availableProcessors());

    boolean ok = new BenchmarkWorker(runner, pipelines, warmups, iterations, parallelism, results).runAll();
    results.flush();
    // Runners may leave non-daemon threads behind (Flink's mini-cluster pools, executors); don't wait for them.
    System.exit(ok ? 0 : 1);
  }

  /** Runs everything; returns false if any pipeline failed. */
  boolean runAll() {
    ObjectNode start = line("start");
    start.put("pid", ProcessHandle.current().pid());
    start.put("parallelism", parallelism);
    start.put("pipelineArgs", String.join(" ", Runners.pipelineArgs(runner, parallelism)));
    emit(start);
    boolean ok = true;
    for (String pipeline : pipelines) {
      ok &= runPipeline(pipeline);
    }
    emit(line("done"));
    return ok;
  }

  private boolean runPipeline(String name) {
    int total = warmups + iterations;
    for (int i = 0; i < total; i++) {
      boolean warmup = i < warmups;
      int index = warmup ? i + 1 : i - warmups + 1;
      String phase = warmup ? "warmup" : "measure";
      try {
        Timed timed = runOnce(name);
        ObjectNode run = line("run");
        run.put("pipeline", name);
        run.put("phase", phase);
        run.put("iteration", index);
        run.put("ms", Math.round(timed.ms * 10) / 10.0);
        run.put("result", timed.result);
        emit(run);
      } catch (Throwable t) {
        ObjectNode error = line("error");
        error.put("pipeline", name);
        error.put("phase", phase);
        error.put("iteration", index);
        error.put("message", rootMessage(t));
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        System.err.println("[worker " + runner + "] " + name + " " + phase + " " + index + " failed:\n" + trace);
        emit(error);
        return false;
      }
    }
    return true;
  }

  /** Wall time of one run and the fingerprint of its (verified) result. */
  static final class Timed {
    final double ms;
    final String result;

    Timed(double ms, String result) {
      this.ms = ms;
      this.result = result;
    }
  }

  /** One timed run: options + construction + run + waitUntilFinish; verification after the clock stops. */
  Timed runOnce(String name) {
    long t0 = System.nanoTime();
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(Runners.pipelineArgs(runner, parallelism).toArray(new String[0]))
            .withValidation()
            .create();
    BenchmarkPipelines.BuiltPipeline built = BenchmarkPipelines.build(name, options);
    try {
      PipelineResult result = built.pipeline().run();
      PipelineResult.State state = result.waitUntilFinish();
      long t1 = System.nanoTime();
      if (state != PipelineResult.State.DONE) {
        throw new IllegalStateException(built.description() + " finished in state " + state);
      }
      return new Timed((t1 - t0) / 1e6, built.verify());
    } finally {
      built.cleanup();
    }
  }

  private ObjectNode line(String type) {
    ObjectNode node = JSON.createObjectNode();
    node.put("type", type);
    node.put("runner", runner);
    return node;
  }

  private void emit(ObjectNode node) {
    results.println(node.toString());
    results.flush();
  }

  static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String top = t.getClass().getSimpleName() + ": " + t.getMessage();
    if (root == t) {
      return top;
    }
    return top + " | root cause " + root.getClass().getName() + ": " + root.getMessage();
  }
}
