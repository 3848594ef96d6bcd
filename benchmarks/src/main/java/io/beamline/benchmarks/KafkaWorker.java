package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.io.kafka.KafkaIO;
import io.beamline.io.kafka.KafkaRecord;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.joda.time.Duration;

/**
 * Child JVM of {@link KafkaBenchmarks}: the system under test, one per JVM, copying an input topic to an output
 * topic of the broker in the parent JVM. The parent drives it with one JSON command per line on stdin; the child
 * answers with JSON lines on stdout (everything the libraries print goes to stderr):
 *
 * <ul>
 *   <li>at start: {@code {"type":"ready"}};
 *   <li>{@code {"cmd":"start","run":ID,"in":TOPIC,"out":TOPIC,"interval":"100ms"}}: starts copying, answers {@code
 *       started} once the system is running (pipeline {@code run()} returned / the loop is about to poll);
 *   <li>{@code {"cmd":"stop","windowStartMs":T0,"windowEndMs":T1}}: stops it (MicroBatchRunner: {@code cancel()};
 *       loop: stop and close) and answers {@code stopped} with what it measured about itself: per-epoch statistics
 *       from {@code progress.jsonl} for the epochs that started in the window, or per-transaction commit times;
 *   <li>{@code {"cmd":"exit"}} or end of input: exits.
 * </ul>
 *
 * <p>Systems ({@code --system=}): {@code beamline} (MicroBatchRunner: {@code io.beamline.io.kafka.KafkaIO.read()}
 * → {@link KafkaCopy#transform} → {@code KafkaIO.write()}, exactly-once, {@code --checkpointDir} in a new
 * directory under {@code --tmp-dir}), {@code realtime} (the same pipeline on RealtimeRunner, at-least-once and without
 * checkpoints; {@code -cp}: a barrier checkpoint every interval ({@code --checkpointInterval}) in a new directory under
 * {@code --tmp-dir}, sink still at-least-once; {@code -eos}: checkpoints and exactly-once, one Kafka transaction per
 * checkpoint and shard; {@code -<N>[k|m]} is its {@code
 * --maxBundleElements}, {@code --realtime-args} pass more), {@code flink} (the same pipeline on FlinkRunner in streaming mode, embedded mini-cluster, detached,
 * at-least-once: the io-kafka sink without transactions; {@code -<N>} is its {@code --maxBundleSize}, {@code
 * --flink-args} pass more) and {@code floor} (the plain kafka-clients loop, {@link KafkaFloor}); suffixes
 * {@code -alo} (at-least-once: {@code KafkaIO.write().withAtLeastOnce()} / no transactions), {@code -<N>[k|m]}
 * ({@code --maxRecordsPerBatch=N} / at most N records per transaction) and, for the floor, {@code -<T>t} (T loops;
 * default one per {@code --parallelism}, as the runner has one task per core). With {@code --count-per-key} every
 * system appends each key's running count ({@link KafkaCopy.CountPerKey}, keyed state behind a shuffle, in the
 * pipelines).
 */
public final class KafkaWorker {

  private static final Pattern COUNT = Pattern.compile("(\\d+)([kKmM]?)");
  private static final Pattern THREADS = Pattern.compile("(\\d+)t");

  /** A parsed system name. */
  record SystemSpec(
      String name, boolean beamline, boolean realtime, boolean flink, boolean exactlyOnce, long maxRecords,
      int threads, boolean checkpoints) {

    /**
     * The runner of a pipeline system: {@code realtime[-...]} runs on RealtimeRunner, {@code flink[-...]} on
     * FlinkRunner, {@code beamline[-...]} (and the floor's class path) MicroBatchRunner.
     */
    String runner() {
      return flink ? Runners.FLINK : realtime ? Runners.REALTIME : Runners.MICRO_BATCH;
    }

    static SystemSpec parse(String name) {
      String[] parts = name.split("-");
      boolean beamline;
      boolean realtime = false;
      boolean flink = false;
      switch (parts[0]) {
        case "beamline":
          beamline = true;
          break;
        case "realtime":
          beamline = true;
          realtime = true;
          break;
        case "flink":
          beamline = true;
          flink = true;
          break;
        case "floor":
          beamline = false;
          break;
        default:
          throw new IllegalArgumentException(
              "system must be beamline[-...], realtime[-...], flink[-...] or floor[-...], got '" + name + "'");
      }
      // RealtimeRunner is at-least-once unless -eos; io-kafka's exactly-once sink needs Beamline's epochs, so on
      // FlinkRunner the same pipeline runs at-least-once
      boolean exactlyOnce = !realtime && !flink;
      boolean checkpoints = false; // RealtimeRunner: -cp (at-least-once sink) or -eos
      long maxRecords = -1;
      int threads = 0; // the floor: one loop per --parallelism
      for (int i = 1; i < parts.length; i++) {
        Matcher count = COUNT.matcher(parts[i]);
        Matcher t = THREADS.matcher(parts[i]);
        if ("alo".equals(parts[i])) {
          exactlyOnce = false;
        } else if ("eos".equals(parts[i]) && realtime) {
          exactlyOnce = true;
        } else if ("cp".equals(parts[i]) && realtime) {
          checkpoints = true;
        } else if (count.matches()) {
          maxRecords = BenchmarkPipelines.parseCount(count.group(1), count.group(2));
        } else if (t.matches() && !beamline) {
          threads = Integer.parseInt(t.group(1));
        } else {
          throw new IllegalArgumentException("unknown part '" + parts[i] + "' of system '" + name
              + "' (known: alo, eos and cp for realtime, <N>[k|m], and <T>t for floor)");
        }
      }
      return new SystemSpec(
          name, beamline, realtime, flink, exactlyOnce, maxRecords, threads, checkpoints || exactlyOnce);
    }
  }

  private final Map<String, String> opts;
  private final SystemSpec system;
  private final String bootstrap;
  private final int parallelism;
  /** {@code --count-per-key}: the stateful variant of {@link KafkaCopy}. */
  private final boolean countPerKey;
  private final PrintStream results;

  private String runId;
  private PipelineResult pipeline;
  private Path checkpointDir;
  private KafkaFloor floor;

  KafkaWorker(Map<String, String> opts, PrintStream results) {
    this.opts = opts;
    this.system = SystemSpec.parse(Args.require(opts, "system"));
    this.bootstrap = Args.require(opts, "bootstrap");
    this.parallelism = Args.intValue(opts, "parallelism", Runtime.getRuntime().availableProcessors());
    this.countPerKey = opts.containsKey("count-per-key");
    this.results = results;
  }

  public static void main(String[] args) throws Exception {
    PrintStream results = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err);
    boolean ok = new KafkaWorker(Args.parse(args), results).serve(
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
    results.flush();
    System.exit(ok ? 0 : 1); // runners and clients may leave non-daemon threads behind
  }

  /** Answers commands until {@code exit} or end of input; false if a command failed. */
  boolean serve(BufferedReader commands) throws Exception {
    ObjectNode ready = line("ready");
    ready.put("pid", ProcessHandle.current().pid());
    emit(ready);
    boolean ok = true;
    String text;
    while ((text = commands.readLine()) != null) {
      if (text.isBlank()) {
        continue;
      }
      JsonNode cmd = BenchmarkWorker.JSON.readTree(text);
      String name = cmd.path("cmd").asText();
      try {
        switch (name) {
          case "start":
            emit(start(cmd));
            break;
          case "stop":
            emit(stop(cmd));
            break;
          case "exit":
            stopQuietly();
            emit(line("done"));
            return ok;
          default:
            throw new IllegalArgumentException("unknown command " + text);
        }
      } catch (Throwable t) {
        ok = false;
        System.err.println("[kafka worker " + system.name() + "] " + name + " failed:");
        t.printStackTrace();
        ObjectNode error = line("error");
        error.put("run", runId == null ? "" : runId);
        error.put("cmd", name);
        error.put("message", BenchmarkWorker.rootMessage(t));
        emit(error);
        stopQuietly();
      }
    }
    stopQuietly();
    return ok;
  }

  private ObjectNode start(JsonNode cmd) throws Exception {
    if (pipeline != null || floor != null) {
      throw new IllegalStateException("a run is going on already: " + runId);
    }
    long t0 = System.nanoTime();
    runId = cmd.path("run").asText();
    String in = cmd.path("in").asText();
    String out = cmd.path("out").asText();
    String interval = cmd.path("interval").asText();
    if (system.beamline()) {
      checkpointDir = Files.createTempDirectory(
          Path.of(opts.getOrDefault("tmp-dir", System.getProperty("java.io.tmpdir"))), "beamline-bench-kafka-");
      List<String> args = new ArrayList<>(Runners.streamingPipelineArgs(system.runner(), parallelism));
      args.add("--jobName=" + runId.replaceAll("[^A-Za-z0-9-]", "-"));
      if (system.realtime()) {
        if (system.checkpoints()) {
          args.removeIf(a -> a.startsWith("--checkpointInterval="));
          args.add("--checkpointInterval=" + interval);
          args.add("--checkpointDir=" + checkpointDir);
        }
        if (system.maxRecords() > 0) {
          args.add("--maxBundleElements=" + system.maxRecords());
        }
        args.addAll(Args.list(opts, "realtime-args", List.of()));
      } else if (system.flink()) {
        // detached: run() returns once the job is submitted to the embedded mini-cluster, and cancel() stops it
        args.add("--attachedMode=false");
        if (system.maxRecords() > 0) {
          args.add("--maxBundleSize=" + system.maxRecords());
        }
        args.addAll(Args.list(opts, "flink-args", List.of()));
      } else {
        args.add("--batchInterval=" + interval);
        args.add("--checkpointDir=" + checkpointDir);
        if (system.maxRecords() > 0) {
          args.add("--maxRecordsPerBatch=" + system.maxRecords());
        }
        args.addAll(Args.list(opts, "microbatch-args", List.of()));
      }
      pipeline = copyPipeline(options(args), in, out, "bench-" + runId, system.exactlyOnce()).run();
    } else {
      floor = KafkaFloor.start(bootstrap, in, out, "floor-" + runId,
          Math.round(StreamingBenchmarks.intervalSeconds(interval) * 1000),
          system.maxRecords() > 0 ? system.maxRecords() : Long.MAX_VALUE, system.exactlyOnce(),
          system.threads() > 0 ? system.threads() : parallelism, countPerKey);
    }
    ObjectNode started = line("started");
    started.put("run", runId);
    started.put("startMs", (System.nanoTime() - t0) / 1e6);
    return started;
  }

  /** The pipeline under test: Kafka → transform → Kafka (→ count per key → Kafka with {@code countPerKey}). */
  static Pipeline copyPipeline(
      PipelineOptions options, String bootstrap, String in, String out, String transactionalIdPrefix,
      boolean exactlyOnce, boolean countPerKey) {
    Pipeline p = Pipeline.create(options);
    KafkaIO.Write<String, String> write =
        KafkaIO.<String, String>write()
            .withBootstrapServers(bootstrap)
            .withTopic(out)
            .withKeySerializer(StringSerializer.class)
            .withValueSerializer(StringSerializer.class)
            .withTransactionalIdPrefix(transactionalIdPrefix);
    org.apache.beam.sdk.values.PCollection<KV<String, String>> transformed = p.apply("Read",
            KafkaIO.<String, String>read()
                .withBootstrapServers(bootstrap)
                .withTopic(in)
                .withKeyDeserializer(StringDeserializer.class)
                .withValueDeserializer(StringDeserializer.class))
        .apply("Transform",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
                .via((KafkaRecord<String, String> r) -> KafkaCopy.transform(r.value(), r.timestamp())));
    if (countPerKey) {
      transformed = transformed.apply("CountPerKey", org.apache.beam.sdk.transforms.ParDo.of(new KafkaCopy.CountPerKey()));
    }
    transformed.apply("Write", exactlyOnce ? write : write.withAtLeastOnce());
    return p;
  }

  private Pipeline copyPipeline(PipelineOptions options, String in, String out, String prefix, boolean eos) {
    return copyPipeline(options, bootstrap, in, out, prefix, eos, countPerKey);
  }

  private ObjectNode stop(JsonNode cmd) throws Exception {
    long t0 = System.nanoTime();
    ObjectNode stopped = line("stopped");
    stopped.put("run", runId == null ? "" : runId);
    long windowStart = cmd.path("windowStartMs").asLong(Long.MIN_VALUE);
    long windowEnd = cmd.path("windowEndMs").asLong(Long.MAX_VALUE);
    try {
      if (pipeline != null) {
        PipelineResult.State before = pipeline.getState();
        stopped.put("stateBeforeStop", before.toString());
        if (before == PipelineResult.State.FAILED) {
          pipeline.waitUntilFinish(); // throws with the pipeline's failure
        }
        pipeline.cancel();
        String after;
        try {
          after = String.valueOf(pipeline.waitUntilFinish(Duration.standardSeconds(60)));
        } catch (IllegalStateException e) {
          if (!system.flink()) {
            throw e;
          }
          // FlinkRunner's detached local job runs on a mini-cluster of its own, which shuts down with the job:
          // asking for the state after cancel() finds it gone
          after = "CANCELLED";
        }
        stopped.put("state", after);
        Path progress = checkpointDir.resolve("progress.jsonl");
        List<JsonNode> all = Files.exists(progress) ? EpochStats.readProgressFile(progress) : List.of();
        List<JsonNode> window = new ArrayList<>();
        for (JsonNode e : all) {
          long start = Instant.parse(e.path("timestamp").asText()).toEpochMilli();
          if (start >= windowStart && start <= windowEnd) {
            window.add(e);
          }
        }
        stopped.put("epochsTotal", all.size());
        if (!window.isEmpty()) {
          stopped.set("epochs", EpochStats.of(window, EpochStats.PHASES_WITH_SINK).toJson());
        }
      } else if (floor != null) {
        floor.close();
        if (floor.failure() != null) {
          throw new IllegalStateException("floor failed", floor.failure());
        }
        List<Long> micros = floor.commitMicros();
        List<Long> sizes = floor.commitRecords();
        stopped.put("state", "STOPPED");
        stopped.put("records", floor.records());
        stopped.put("transactionsTotal", micros.size());
        if (!micros.isEmpty()) {
          Percentiles commit = Percentiles.of(micros);
          Percentiles size = Percentiles.of(sizes);
          ObjectNode t = stopped.putObject("transactions");
          t.put("count", micros.size());
          t.put("commitMedianMs", commit.median() / 1000);
          t.put("commitP99Ms", commit.percentile(99) / 1000);
          t.put("commitMaxMs", commit.max() / 1000);
          t.put("commitMeanMs", commit.mean() / 1000);
          t.put("recordsMedian", size.median());
          t.put("recordsMean", size.mean());
          t.put("recordsMax", size.max());
        }
      } else {
        throw new IllegalStateException("nothing to stop");
      }
    } finally {
      cleanUp();
    }
    stopped.put("stopMs", (System.nanoTime() - t0) / 1e6);
    return stopped;
  }

  private void stopQuietly() {
    try {
      if (pipeline != null) {
        pipeline.cancel();
        pipeline.waitUntilFinish(Duration.standardSeconds(30));
      }
      if (floor != null) {
        floor.close();
      }
    } catch (Throwable t) {
      System.err.println("stopping failed: " + t);
    } finally {
      cleanUp();
    }
  }

  private void cleanUp() {
    pipeline = null;
    floor = null;
    if (checkpointDir != null && opts.containsKey("keep-checkpoints")) {
      System.err.println("kept checkpoint directory " + checkpointDir);
      checkpointDir = null;
    }
    if (checkpointDir != null) {
      try {
        BenchmarkPipelines.deleteRecursively(checkpointDir);
      } catch (Exception e) {
        System.err.println("cannot delete " + checkpointDir + ": " + e);
      }
      checkpointDir = null;
    }
  }

  private static PipelineOptions options(List<String> args) {
    return PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).withValidation().create();
  }

  private ObjectNode line(String type) {
    ObjectNode node = BenchmarkWorker.JSON.createObjectNode();
    node.put("type", type);
    node.put("system", system.name());
    return node;
  }

  private void emit(ObjectNode node) {
    results.println(node.toString());
    results.flush();
  }

  static String describe(SystemSpec s) {
    StringBuilder sb = new StringBuilder(
        !s.beamline() ? "kafka-clients loop" : s.flink() ? "FlinkRunner" : s.realtime() ? "RealtimeRunner"
            : "MicroBatchRunner");
    sb.append(s.exactlyOnce() ? ", exactly-once" : ", at-least-once");
    if (s.maxRecords() > 0) {
      String limit = !s.beamline()
          ? ", <= %d records/txn"
          : s.flink() ? ", --maxBundleSize=%d" : s.realtime() ? ", --maxBundleElements=%d" : ", --maxRecordsPerBatch=%d";
      sb.append(String.format(Locale.ROOT, limit, s.maxRecords()));
    }
    if (!s.beamline()) {
      sb.append(s.threads() > 0 ? ", " + s.threads() + " loop(s)" : ", one loop per --parallelism");
    }
    return sb.toString();
  }
}
