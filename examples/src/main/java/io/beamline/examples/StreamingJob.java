package io.beamline.examples;

import io.beamline.io.kafka.testing.EmbeddedKafka;
import io.beamline.runners.microbatch.MicroBatchPipelineResult;
import io.beamline.runners.microbatch.MicroBatchRunner;
import io.beamline.runners.realtime.RealtimeRunner;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One run of {@link FlightDelaysStreaming}: broker, topics, replayer, pipeline, per-epoch lines,
 * the end of the run and its summary.
 *
 * <h2>How a run ends</h2>
 *
 * <p>The replayer ends the stream with one end-of-replay marker per input partition, whose event
 * time puts the partition's watermark at {@link FlightReplay#complete()}, the end of the last
 * window. With the default single input partition the source's watermark reaches that time only
 * once the reader has read every record before the marker. In the epoch where it does, the last
 * windows fire and their results are committed to the output topic before the epoch commits; the
 * run watches the epochs' progress, and once an epoch reports a watermark at or past {@link
 * FlightReplay#complete()}, every window is in the output topic and it cancels the pipeline.
 *
 * <p>Several partitions: the replay is in event-time order (up to the deliberate delays, which
 * {@code --maxOutOfOrdernessMinutes} covers) within each partition, and the Kafka source's
 * watermark is the minimum over partitions that still have records to read, so it never passes a
 * record still to come.
 *
 * <h2>Restarts</h2>
 *
 * <p>The runner's checkpoint directory also holds {@link ReplayState}. A run started on a
 * directory with a checkpoint resumes it: the runner restores state, timers, watermarks and the
 * Kafka positions of the last committed epoch (and replays an uncommitted one), and the replayer
 * makes sure the input topic holds the records at those positions — on an external cluster they
 * are still there; on the embedded broker, which lived in the previous process, the topics are
 * new, and the replayer re-sends at once every record the previous run may have sent (the replay
 * is deterministic, so they get the same offsets). The embedded broker listens on the same port
 * as before, since the runner reads the Kafka source from its checkpoint, bootstrap servers
 * included. What the previous run wrote to the embedded broker's output topic is gone; the new
 * output topic holds the results of the windows that fire after the restart.
 */
public final class StreamingJob {
  private final FlightDelaysStreamingOptions options;
  private final PrintStream out;
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile boolean stopRequested;
  private volatile PipelineResult result;
  private volatile Replayer replayer;

  /**
   * @param options the job's options; the runner must be {@code MicroBatchRunner} or {@code
   *     RealtimeRunner}
   * @param out where progress lines and the summary are printed
   */
  public StreamingJob(FlightDelaysStreamingOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /** Asks the run to stop: the replayer and the pipeline are stopped; {@link #run} returns. */
  public void stop() {
    stopRequested = true;
    Replayer r = replayer;
    if (r != null) {
      r.stop();
    }
    PipelineResult p = result;
    if (p != null) {
      try {
        p.cancel();
      } catch (IOException e) {
        // neither Beamline runner's cancel throws
        throw new UncheckedIOException(e);
      }
    }
  }

  /** {@link #stop()}, then waits up to {@code timeout} for {@link #run} to return. */
  void stopAndAwait(Duration timeout) {
    if (finished.getCount() == 0) {
      return;
    }
    out.println();
    out.println("Stopping (Ctrl-C)...");
    stop();
    try {
      finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** True once {@link #stop()} was called. */
  public boolean stopRequested() {
    return stopRequested;
  }

  /**
   * Runs the job until every window is in the output topic, or until {@link #stop()}; prints a
   * line per epoch and the summary.
   *
   * @throws IllegalArgumentException for invalid options
   * @throws IllegalStateException if the checkpoint cannot be resumed with these options
   * @throws org.apache.beam.sdk.Pipeline.PipelineExecutionException if the pipeline fails
   */
  public StreamingSummary run() throws Exception {
    try {
      return runJob();
    } finally {
      finished.countDown();
    }
  }

  /**
   * Checks the job's own options (the runner's are checked by the runner).
   *
   * @throws IllegalArgumentException naming the option
   */
  static void check(FlightDelaysStreamingOptions options) {
    if (!MicroBatchRunner.class.isAssignableFrom(options.getRunner()) && !realtime(options)) {
      throw new IllegalArgumentException(
          "The streaming flights job runs on MicroBatchRunner or RealtimeRunner (it follows their"
              + " progress reports), not " + options.getRunner().getSimpleName() + "; the batch job"
              + " (./beamline flights-batch) runs on any runner");
    }
    if (realtime(options) && options.getCheckpointDir() != null) {
      throw new IllegalArgumentException(
          "The flights job does not resume on RealtimeRunner yet: leave --checkpointDir out; each"
              + " run checkpoints into a directory of its own and a stopped run starts over");
    }
    if (realtime(options) && options.getWarehouse() != null) {
      throw new IllegalArgumentException(
          "RealtimeRunner does not write the Iceberg tables (their sink commits once per epoch of"
              + " one bundle, which RealtimeRunner's epochs are not); leave --warehouse out: the"
              + " output topic holds the same results");
    }
    if (options.getInputPartitions() < 1) {
      throw new IllegalArgumentException("--inputPartitions must be at least 1");
    }
    if (options.getMaxOutOfOrdernessMinutes() < 0) {
      throw new IllegalArgumentException("--maxOutOfOrdernessMinutes must be at least 0");
    }
    if (options.getSpeedup() < 0) {
      throw new IllegalArgumentException("--speedup must be positive, or 0 for no pacing");
    }
  }

  /** True if the job runs on RealtimeRunner: no checkpoint to resume, no lakehouse. */
  static boolean realtime(FlightDelaysStreamingOptions options) {
    return RealtimeRunner.class.isAssignableFrom(options.getRunner());
  }

  private StreamingSummary runJob() throws Exception {
    long start = System.nanoTime();
    check(options);
    boolean realtime = realtime(options);
    int partitions = options.getInputPartitions();
    Integer parallelism = options.getParallelism();
    if (parallelism == null || parallelism == -1) {
      options.setParallelism(Math.max(Runtime.getRuntime().availableProcessors(), partitions));
    }
    Path checkpointDir;
    if (realtime) {
      // nothing to resume: the job's own files (replay state, the embedded broker's log) and the
      // runner's barrier checkpoints live in a directory of this run only
      checkpointDir = Files.createTempDirectory("beamline-flights-realtime");
      options.setCheckpointDir(checkpointDir.resolve("checkpoint").toString());
    } else {
      if (options.getCheckpointDir() == null) {
        options.setCheckpointDir(FlightDelaysStreaming.DEFAULT_CHECKPOINT_DIR);
      }
      checkpointDir = Path.of(options.getCheckpointDir()).toAbsolutePath().normalize();
      options.setCheckpointDir(checkpointDir.toString());
      if (options.getWarehouse() == null) {
        options.setWarehouse(checkpointDir.resolveSibling("warehouse").toString());
      }
    }

    FlightReplay replay =
        FlightReplay.of(
            InputRows.read(options.getInput()),
            partitions,
            options.getOutOfOrderPercent(),
            options.getMalformedRecords());

    if (options.getFresh() && !realtime) {
      if (CheckpointFiles.deleteCheckpoint(checkpointDir)) {
        out.println("--fresh: deleted checkpoint " + checkpointDir);
      }
      for (String table : LakehouseOutput.dropTables(options.getWarehouse(), LakehouseOutput.STREAMING)) {
        out.println("--fresh: dropped table " + table);
      }
    }
    boolean resuming = Files.exists(checkpointDir.resolve("metadata"));
    ReplayState previous = ReplayState.load(checkpointDir);
    if (resuming && previous == null) {
      throw new IllegalStateException(
          "Checkpoint " + checkpointDir + " has no " + ReplayState.FILE_NAME + ", so it is not"
              + " one this job can resume; use another --checkpointDir, or --fresh to delete it");
    }
    boolean embedded = options.getBootstrapServers() == null;
    ReplayState wanted =
        new ReplayState(
            replay.fingerprint(),
            replay.entries().size(),
            options.getInputTopic(),
            options.getOutputTopic(),
            options.getDeadLetterTopic(),
            options.getBootstrapServers(),
            resuming ? previous.embeddedPort : 0,
            options.getMaxOutOfOrdernessMinutes(),
            options.getMinDailyFlights(),
            resuming ? previous.declared() : 0);
    if (resuming) {
      List<String> why = previous.differences(wanted);
      if (!why.isEmpty()) {
        throw new IllegalStateException(
            "Cannot resume checkpoint " + checkpointDir + " with these options: "
                + String.join("; ", why) + ". Run with the options of the first run, or add"
                + " --fresh to start over.");
      }
    }

    out.println("Flight delays, streaming through Kafka on " + options.getRunner().getSimpleName());
    EmbeddedKafka broker = null;
    try {
      String bootstrap;
      if (embedded) {
        broker = CheckpointFiles.startEmbedded(resuming ? previous.embeddedPort : 0, checkpointDir);
        bootstrap = broker.bootstrapServers();
        out.println(
            "  broker      embedded Kafka at " + bootstrap + ", in this process; "
                + (realtime
                    ? "its log goes with the run"
                    : "its log is kept in the checkpoint directory, so a resumed run finds its"
                        + " topics again"));
      } else {
        bootstrap = options.getBootstrapServers();
        out.println("  broker      " + bootstrap);
      }
      ReplayState state =
          new ReplayState(
              wanted.fingerprint, wanted.records, wanted.inputTopic, wanted.outputTopic,
              wanted.deadLetterTopic, wanted.bootstrapServers, embedded ? port(bootstrap) : 0,
              wanted.maxOutOfOrdernessMinutes, wanted.minDailyFlights, wanted.declared());
      Map<String, Integer> topics = new LinkedHashMap<>();
      topics.put(options.getInputTopic(), partitions);
      topics.put(options.getOutputTopic(), 1);
      topics.put(options.getDeadLetterTopic(), 1);
      JobTopics.create(bootstrap, topics);
      out.println(
          String.format(
              "  topics      %s (%d partition%s) -> %s; records that are no flight -> %s",
              options.getInputTopic(), partitions, partitions == 1 ? "" : "s",
              options.getOutputTopic(), options.getDeadLetterTopic()));
      // The summary covers the whole job, every run on this checkpoint: the topics are read from
      // where they stood when the job started, kept in the checkpoint directory by its first run.
      Map<String, Map<Integer, Long>> starts = JobTopics.outputStarts(
              checkpointDir, bootstrap, options.getOutputTopic(), options.getDeadLetterTopic());
      Map<Integer, Long> outputStart = starts.get("output");
      Map<Integer, Long> deadStart = starts.get("deadLetters");

      Replayer r = new Replayer(
          replay, bootstrap, options.getInputTopic(), options.getSpeedup(), state, checkpointDir);
      replayer = r;
      r.prepare();
      out.println(
          String.format(
              Locale.ROOT,
              "  replay      %,d flights departing %s to %s, %,d of them sent 5-45 min late, plus"
                  + " %,d malformed records; %s",
              replay.flights(), day(replay.firstDeparture()), day(replay.lastDeparture()),
              replay.delayed(), replay.malformed(), pace(replay)));
      out.println(
          String.format(
              Locale.ROOT,
              realtime
                  ? "  pipeline    KafkaIO -> FlightDelayAnalytics -> KafkaIO (exactly once, a"
                      + " transaction per checkpoint); parallelism %d, every stage running"
                      + " continuously%s, watermark %d min behind the latest departure read"
                  : "  pipeline    KafkaIO -> FlightDelayAnalytics -> KafkaIO and Iceberg (exactly"
                      + " once); parallelism %d, batch interval %s, watermark %d min behind the"
                      + " latest departure read",
              options.getParallelism(), realtime ? "" : options.getBatchInterval(),
              options.getMaxOutOfOrdernessMinutes()));
      if (!realtime) {
        out.println("  lakehouse   " + options.getWarehouse() + ": tables "
            + LakehouseOutput.hourlyTable(LakehouseOutput.STREAMING) + ", "
            + LakehouseOutput.dailyTopTable(LakehouseOutput.STREAMING) + " (./beamline table list)");
      }
      if (realtime) {
        out.println(
            "  checkpoint  "
                + options.getCheckpointDir()
                + " (this run only: the job does not resume on RealtimeRunner yet, nor write"
                + " Iceberg tables there); a stopped run starts over");
      } else if (resuming) {
        out.println("  checkpoint  " + checkpointDir + ": resuming it");
      } else {
        out.println("  checkpoint  " + checkpointDir + " (new)");
      }
      long fastForwarded = r.fastForward();
      if (resuming && embedded && r.alreadyInTopic() == 0) {
        out.println(
            String.format(
                Locale.ROOT,
                "  The checkpoint has no broker log (made by an older version): re-sent the"
                    + " first %,d records of the replay (all the previous run may have sent), so"
                    + " that the checkpoint's Kafka offsets exist again; the previous run's output"
                    + " is gone.",
                fastForwarded));
      } else if (resuming) {
        out.println(
            String.format(
                Locale.ROOT,
                "  The input topic already holds %,d replayed records%s.",
                r.alreadyInTopic(),
                fastForwarded == 0 ? "" : String.format(", re-sent %,d more", fastForwarded)));
      }
      state.save(checkpointDir);
      if (stopRequested) {
        return summary(
            false, resuming, null, replay, r, bootstrap, embedded, outputStart, deadStart,
            checkpointDir, start);
      }
      r.start();

      Pipeline pipeline = FlightDelaysStreaming.build(Pipeline.create(options), options, bootstrap);
      PipelineResult run = pipeline.run();
      result = run;
      JobProgress progress;
      try {
        progress = JobProgress.of(run);
      } catch (IllegalStateException e) {
        run.cancel(); // check() admits only the two runners JobProgress follows
        throw e;
      }
      if (run instanceof MicroBatchPipelineResult microBatch && microBatch.uiUri() != null) {
        out.println("  web UI      " + microBatch.uiUri() + " (Prometheus metrics at "
            + microBatch.uiUri() + "metrics)");
      }
      if (stopRequested) {
        run.cancel();
      }
      boolean complete = false;
      while (true) {
        PipelineResult.State state0 = run.waitUntilFinish(org.joda.time.Duration.millis(100));
        progress.printNew(out);
        if (state0 != null) {
          break;
        }
        Throwable failed = r.failure();
        if (failed != null) {
          run.cancel();
          throw new IllegalStateException("the replayer failed: " + failed, failed);
        }
        if (!complete && r.done() && !progress.watermark().isBefore(replay.complete())) {
          complete = true;
          run.cancel();
        }
      }
      return summary(
          complete && !stopRequested, resuming, progress, replay, r, bootstrap, embedded,
          outputStart, deadStart, checkpointDir, start);
    } finally {
      Replayer r = replayer;
      if (r != null) {
        r.stop();
      }
      if (broker != null) {
        broker.close();
      }
      if (realtime) {
        CheckpointFiles.deleteTree(checkpointDir);
      }
    }
  }

  private StreamingSummary summary(
      boolean complete,
      boolean resumed,
      @org.checkerframework.checker.nullness.qual.Nullable JobProgress progress,
      FlightReplay replay,
      Replayer r,
      String bootstrap,
      boolean embedded,
      Map<Integer, Long> outputStart,
      Map<Integer, Long> deadStart,
      Path checkpointDir,
      long start)
      throws IOException {
    List<String> hourly = new ArrayList<>();
    List<String> dailyTop = new ArrayList<>();
    for (ConsumerRecord<String, String> rec :
        JobTopics.readCommitted(bootstrap, options.getOutputTopic(), outputStart)) {
      if (FlightDelays.HOURLY_DIR.equals(rec.key())) {
        hourly.add(rec.value());
      } else if (FlightDelays.DAILY_TOP_DIR.equals(rec.key())) {
        dailyTop.add(rec.value());
      }
    }
    List<String> dead = new ArrayList<>();
    for (ConsumerRecord<String, String> rec :
        JobTopics.readCommitted(bootstrap, options.getDeadLetterTopic(), deadStart)) {
      dead.add(rec.value());
    }
    JobProgress.Totals job =
        progress == null
            ? new JobProgress.Totals(0, -1, -1, 0, 0, "-")
            : progress.totals(checkpointDir);
    boolean realtime = realtime(options);
    StreamingSummary summary =
        new StreamingSummary(
            complete,
            resumed,
            job.epochs(),
            job.firstEpoch(),
            job.lastEpoch(),
            job.rows(),
            job.late(),
            job.watermark(),
            r.sent(),
            r.alreadyInTopic(),
            replay.flights(),
            replay.delayed(),
            replay.malformed(),
            hourly,
            dailyTop,
            dead,
            JobSummary.busiestDay(hourly, dailyTop),
            Duration.ofNanos(System.nanoTime() - start),
            embedded,
            bootstrap,
            options.getInputTopic(),
            options.getOutputTopic(),
            options.getDeadLetterTopic(),
            realtime ? null : checkpointDir,
            progress == null ? 0 : progress.rowsThisRun());
    out.println(summary.describe());
    String lakehouse =
        realtime ? "" : LakehouseOutput.describe(options.getWarehouse(), LakehouseOutput.STREAMING);
    if (!lakehouse.isEmpty()) {
      out.println(lakehouse);
    }
    return summary;
  }

  private static String day(Instant t) {
    return t.toString().substring(0, 10);
  }

  private String pace(FlightReplay replay) {
    double speedup = options.getSpeedup();
    if (speedup == 0) {
      return "replayed as fast as possible";
    }
    double seconds =
        (replay.complete().toEpochMilli() - replay.firstDeparture().toEpochMilli())
            / 1000.0
            / speedup;
    return String.format(
        Locale.ROOT, "%.0fx speed-up, about %.0f s of replay", speedup, Math.ceil(seconds));
  }

  private static int port(String bootstrapServers) {
    return Integer.parseInt(bootstrapServers.substring(bootstrapServers.lastIndexOf(':') + 1));
  }
}
