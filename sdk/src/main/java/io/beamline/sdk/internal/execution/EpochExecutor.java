package io.beamline.sdk.internal.execution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.EpochProgress;
import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.beamline.sdk.CheckpointException;
import io.beamline.sdk.internal.checkpoint.CheckpointLog;
import io.beamline.sdk.internal.state.RocksDbStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes an {@link ExecutablePlan} as a sequence of epochs (micro-batches): each epoch plans a
 * slice of every source (the hybrid trigger: what arrives within {@code batchInterval}, at most
 * {@code maxRecordsPerBatch} records per source), logs it to {@code offsets/N}, runs all stages over
 * it in plan order — every keyed operator firing its timers up to its stage's new input watermark
 * at the end — then snapshots state to {@code state/N} and writes {@code commits/N}. Keyed state
 * lives across epochs in one {@link KeyedStateStore} per stage and partition; side-input views
 * accumulate.
 *
 * <p>Watermarks: a source stage's input watermark is its source's; any other stage's is the
 * minimum of its upstream stages' output watermarks; a stage's output watermark is its input
 * watermark, held back for keyed stages by the earliest watermark hold of any key (state holds of
 * GroupAlsoByWindow, output timestamps of pending timers), computed after the stage ran. Elements
 * of an epoch are judged late against the previous epoch's watermark, because keyed operators
 * process them before advancing.
 *
 * <p>Once every source is exhausted (its watermark at +∞), epochs go on until every stage's output
 * watermark is +∞: processing time keeps moving (so resume timers of splittable DoFns fire), an
 * epoch without progress is followed by one at the end of processing time (firing every remaining
 * processing-time timer), and if that one makes no progress either the run fails as stuck, with
 * every stage's watermark in the message, instead of spinning.
 *
 * <p>Recovery (with a checkpoint directory): the run resumes from the state snapshot of the last
 * committed epoch C, each source positioned after {@code offsets/C}; if {@code offsets/C+1} exists,
 * epoch C+1 is replayed over exactly those offsets and the processing time logged with them.
 *
 * <p>Threading: {@link #execute()} runs on the driver thread; stages run on the executor's pool.
 */
public final class EpochExecutor {
  private static final Logger LOG = LoggerFactory.getLogger(EpochExecutor.class);
  /**
   * Heap state up to this size is written inside {@code commits/N} instead of {@code state/N/heap}:
   * an epoch then costs two durable files (offsets, commit) like Spark's offset and commit logs.
   */
  static final int INLINE_STATE_BYTES = 16 * 1024;
  private static final String ROCKSDB = "rocksdb";

  private final ExecutablePlan plan;
  private final PlanExecutor stages;
  private final EpochConfig config;
  private final Consumer<EpochProgress> progress;
  // Hook for the monitoring module's auto-tuner (--autoTune): the hybrid trigger's interval and
  // cap are read from these before every epoch; by default they are the configuration's.
  private LongSupplier intervalMillis;
  private LongSupplier maxRecordsPerBatch;

  public EpochExecutor(ExecutablePlan plan, PlanExecutor stages) {
    this(plan, stages, EpochConfig.defaults(), p -> {});
  }

  /**
   * @param progress receives one report per epoch, on the driver thread
   */
  public EpochExecutor(
      ExecutablePlan plan,
      PlanExecutor stages,
      EpochConfig config,
      Consumer<EpochProgress> progress) {
    this.plan = plan;
    this.stages = stages;
    this.config = config;
    this.progress = progress;
    this.intervalMillis = () -> config.batchInterval().getMillis();
    this.maxRecordsPerBatch = config::maxRecordsPerBatch;
  }

  /**
   * Reads the hybrid trigger's interval (ms) and record cap from these suppliers, once per epoch
   * on the driver thread, instead of from the configuration (an auto-tuner changes them between
   * epochs). Call before {@link #execute()}.
   */
  public EpochExecutor withPacing(LongSupplier intervalMillis, LongSupplier maxRecordsPerBatch) {
    this.intervalMillis = intervalMillis;
    this.maxRecordsPerBatch = maxRecordsPerBatch;
    return this;
  }

  /**
   * Runs epochs until every source is exhausted and every watermark is +∞, or, with {@code
   * --trigger=once/availableNow}, until the sources have caught up.
   *
   * @throws InterruptedException if the driver thread is interrupted (cancellation)
   * @throws IllegalStateException if, after the sources finished, the run cannot move any more
   * @throws io.beamline.sdk.CheckpointException if the checkpoint directory is corrupt or was
   *     written by another pipeline
   * @throws Exception the first failure of a task
   */
  public void execute() throws Exception {
    new Run().execute();
  }

  /** The state of one run, which lives across its epochs. Driver thread only. */
  private final class Run {
    private final Map<Stage, EpochSource> sources = new LinkedHashMap<>();
    private final ProcessingClock clock;
    private final Map<Stage, KeyedStateStore[]> keyedState = new HashMap<>();
    private final Map<Stage, List<List<WindowedValue<?>>>> pushedBack = new HashMap<>();
    private final Map<Stage, Instant> outputWatermarks = new HashMap<>();
    private final SideInputStore sideInputs = new SideInputStore(false);
    private final Map<ExchangeSpec, Exchange> exchanges = stages.newExchanges();
    private final TaskContext.Shared shared = stages.shared(false, sideInputs, exchanges);
    /** The tasks of each stage, per partition, created when first run and kept for the run. */
    private final Map<Stage, StageTask[]> tasks = new HashMap<>();
    private final CheckpointLog log;
    private final StateSnapshots snapshots;
    private Map<Stage, Instant> previousWatermarks = Map.of();
    private Instant lastProcessingTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
    private boolean jumpToEndOfTime;
    private long epoch;
    private ObjectNode replay;
    private long deadlineNanos = System.nanoTime();
    private long previousStartNanos;
    private long lateRowsBefore;
    private RocksDbStore rocksDb;
    /** The last heap state written, and the epoch whose state directory holds it (-1: none). */
    private byte[] lastHeapState;
    private long lastHeapStateEpoch = -1;
    /** Time sinks spent committing in the current epoch ({@code EpochInfo#addSinkCommitNanos}). */
    private final java.util.concurrent.atomic.LongAdder sinkCommitNanos =
        new java.util.concurrent.atomic.LongAdder();

    Run() throws Exception {
      boolean syntheticTime = false;
      for (Stage stage : plan.stages()) {
        if (stage.source() != null) {
          EpochSource source = EpochSource.of(stage.source(), stages);
          sources.put(stage, source);
          syntheticTime |= source.ownsProcessingTime();
        }
      }
      clock = syntheticTime ? ProcessingClock.synthetic() : ProcessingClock.wallClock();
      log =
          config.checkpointDir() == null
              ? null
              : CheckpointLog.open(config.checkpointDir(), plan.fingerprintLines());
      snapshots =
          new StateSnapshots(
              plan, keyedState, pushedBack, outputWatermarks, sideInputs, this::storesOf,
              this::pushbackOf);
    }

    void execute() throws Exception {
      Path rocksDbDir =
          config.stateBackend() == EpochConfig.StateBackend.ROCKSDB ? RocksDbDirs.create() : null;
      try {
        restore(rocksDbDir);
        for (; ; epoch++) {
          if (Thread.interrupted()) {
            throw new InterruptedException("cancelled before epoch " + epoch);
          }
          if (runEpoch()) {
            return;
          }
        }
      } finally {
        // A cancelled run's driver thread is interrupted: clear the flag while closing (readers
        // such as Kafka's fail to close on an interrupted thread) and set it again after.
        boolean interrupted = Thread.interrupted();
        for (EpochSource source : sources.values()) {
          try {
            source.close();
          } catch (Exception e) {
            LOG.warn("Closing a source failed", e);
          }
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        try {
          closeTasks();
        } catch (Exception e) {
          LOG.warn("Closing the stages' operators failed", e);
        }
        if (rocksDb != null) {
          rocksDb.close();
        }
        if (rocksDbDir != null) {
          MoreFiles.deleteRecursively(rocksDbDir, RecursiveDeleteOption.ALLOW_INSECURE);
        }
      }
    }

    /**
     * Opens the RocksDB state (from the last committed snapshot, if any), resumes after the last
     * committed epoch, and arranges the replay of a logged one.
     */
    private void restore(Path rocksDbDir) throws Exception {
      OptionalLong committed = log == null ? OptionalLong.empty() : log.lastCommitted();
      if (rocksDbDir != null) {
        Path snapshot =
            committed.isPresent()
                ? log.stateDir(committed.getAsLong()).resolve(ROCKSDB)
                : null;
        if (snapshot != null
            && !Files.exists(snapshot)
            && "ROCKSDB".equals(log.readCommit(committed.getAsLong()).path("stateBackend").asText())) {
          throw new CheckpointException(
              snapshot,
              "RocksDB snapshot "
                  + snapshot
                  + " is missing although its epoch is committed; the checkpoint directory was"
                  + " modified by hand");
        }
        rocksDb =
            snapshot != null && Files.exists(snapshot)
                ? RocksDbStore.restore(snapshot, rocksDbDir)
                : RocksDbStore.open(rocksDbDir);
      }
      if (log == null) {
        return;
      }
      if (committed.isPresent()) {
        long c = committed.getAsLong();
        String backend = log.readCommit(c).path("stateBackend").asText("HEAP");
        if (!backend.equals(config.stateBackend().name())) {
          throw new CheckpointException(
              log.stateDir(c),
              "The checkpoint's state is in the "
                  + backend.toLowerCase(java.util.Locale.ROOT)
                  + " backend, this run asks for --stateBackend="
                  + config.stateBackend().name().toLowerCase(java.util.Locale.ROOT)
                  + "; resume with the backend it was written with");
        }
        ObjectNode commit = log.readCommit(c);
        if (commit.has("heapState")) {
          lastHeapStateEpoch = -1;
          lastHeapState = java.util.Base64.getDecoder().decode(commit.path("heapState").asText());
        } else {
          lastHeapStateEpoch = commit.path("stateEpoch").asLong(c);
          lastHeapState = log.readState(lastHeapStateEpoch, StateSnapshots.HEAP);
        }
        snapshots.restore(lastHeapState);
        JsonNode watermarks = commit.path("watermarks");
        long[] stageWatermarks = new long[watermarks.size()];
        for (int i = 0; i < stageWatermarks.length; i++) {
          stageWatermarks[i] = watermarks.get(i).asLong();
        }
        snapshots.restoreWatermarks(
            new StateSnapshots.Time(
                new Instant(commit.path("processingTime").asLong()),
                commit.path("jumpToEndOfTime").asBoolean(),
                stageWatermarks));
        lastProcessingTime = new Instant(commit.path("processingTime").asLong());
        jumpToEndOfTime = commit.path("jumpToEndOfTime").asBoolean();
        ObjectNode offsets = log.readOffsets(c);
        for (Map.Entry<Stage, EpochSource> e : sources.entrySet()) {
          e.getValue().resumeAfter(sourceOffsets(offsets, e.getKey()), request());
        }
        epoch = c + 1;
        LOG.info("Resuming run {} after committed epoch {}", log.runId(), c);
      }
      if (log.hasOffsets(epoch)) {
        if (config.replayUncommittedEpoch()) {
          replay = log.readOffsets(epoch);
          int logged = replay.path("parallelism").asInt(stages.parallelism());
          if (logged != stages.parallelism() && !plan.transactionalSinks().isEmpty()) {
            throw new CheckpointException(
                log.offsetsFile(epoch),
                "Epoch "
                    + epoch
                    + " was started with --parallelism="
                    + logged
                    + " and must be replayed with it (the shards of "
                    + plan.transactionalSinks()
                    + " are the tasks of that parallelism); this run asks for --parallelism="
                    + stages.parallelism()
                    + ". Restart with --parallelism="
                    + logged
                    + " and change it once the epoch is committed");
          }
          LOG.info("Replaying epoch {} over its logged offsets", epoch);
        } else {
          LOG.warn("Skipping uncommitted epoch {} (replay disabled): its input is lost", epoch);
          ObjectNode offsets = log.readOffsets(epoch);
          for (Map.Entry<Stage, EpochSource> e : sources.entrySet()) {
            e.getValue().resumeAfter(sourceOffsets(offsets, e.getKey()), request());
          }
          epoch++;
        }
      }
    }

    /** Runs one epoch; true when the run is over. */
    private boolean runEpoch() throws Exception {
      long start = System.nanoTime();
      Map<String, Long> durations = new LinkedHashMap<>();
      boolean replaying = replay != null;
      Map<Stage, List<?>> splits = new HashMap<>();
      boolean finished = true;
      boolean caughtUp = true;
      long inputRows = 0;
      EpochRequest request = request();
      for (Map.Entry<Stage, EpochSource> e : sources.entrySet()) {
        EpochSource source = e.getValue();
        splits.put(
            e.getKey(),
            stages.withSourceMetrics(
                e.getKey().source().stepName(),
                () ->
                    replaying
                        ? source.replay(sourceOffsets(replay, e.getKey()), request)
                        : source.nextEpoch(request)));
        finished &= source.isExhausted();
        caughtUp &= source.caughtUp();
        inputRows += source.lastEpochRecords();
      }
      Instant processingTime;
      Instant endProcessingTime;
      if (replaying) {
        processingTime = new Instant(replay.path("processingTime").asLong());
        endProcessingTime = new Instant(replay.path("endProcessingTime").asLong());
        lastProcessingTime = processingTime;
      } else {
        processingTime = nextProcessingTime();
        endProcessingTime = jumpToEndOfTime ? BoundedWindow.TIMESTAMP_MAX_VALUE : processingTime;
      }
      long planned = System.nanoTime();
      durations.put("planOffsets", millis(start, planned));
      if (log != null && !replaying) {
        log.writeOffsets(epoch, offsetsOf(processingTime, endProcessingTime));
      }
      long logged = System.nanoTime();
      durations.put("offsetLog", millis(planned, logged));
      long activityBefore = stages.activity();
      sinkCommitNanos.reset();
      runStages(splits, processingTime, endProcessingTime, finished, replaying);
      long processed = System.nanoTime();
      durations.put("process", millis(logged, processed));
      durations.put("sinkCommit", TimeUnit.NANOSECONDS.toMillis(sinkCommitNanos.sum()));
      long stateBytes = 0;
      byte[] inlineHeap = null;
      if (log != null) {
        byte[] heap = snapshots.write();
        stateBytes = heap.length;
        if (rocksDb == null && heap.length <= INLINE_STATE_BYTES) {
          inlineHeap = heap; // small: goes into commits/N, no state file (two fsyncs fewer)
          lastHeapState = heap;
          lastHeapStateEpoch = -1;
        } else if (lastHeapStateEpoch < 0 || !java.util.Arrays.equals(heap, lastHeapState)) {
          log.writeState(epoch, StateSnapshots.HEAP, heap);
          lastHeapState = heap;
          lastHeapStateEpoch = epoch;
        }
        if (rocksDb != null) {
          Path target = log.stateDir(epoch).resolve(ROCKSDB);
          if (Files.exists(target)) { // left by an attempt of this epoch before a crash
            MoreFiles.deleteRecursively(target, RecursiveDeleteOption.ALLOW_INSECURE);
          }
          rocksDb.checkpoint(target);
        }
      }
      long snapshotted = System.nanoTime();
      durations.put("stateSnapshot", millis(processed, snapshotted));
      if (log != null) {
        StateSnapshots.Time time = snapshots.time(lastProcessingTime, jumpToEndOfTime);
        ObjectNode commit = JsonNodeFactory.instance.objectNode();
        commit.put("epoch", epoch);
        commit.put("watermark", lowWatermark().getMillis());
        commit.put("stateBackend", config.stateBackend().name());
        if (inlineHeap != null) {
          commit.put("heapState", java.util.Base64.getEncoder().encodeToString(inlineHeap));
        } else {
          commit.put("stateEpoch", lastHeapStateEpoch);
        }
        commit.put("processingTime", time.processingTime().getMillis());
        commit.put("jumpToEndOfTime", time.jumpToEndOfTime());
        ArrayNode watermarks = commit.putArray("watermarks");
        for (long w : time.watermarks()) {
          watermarks.add(w);
        }
        log.writeCommit(epoch, commit, inlineHeap != null);
      }
      for (EpochSource source : sources.values()) {
        source.committed();
      }
      if (log != null) {
        log.purge(epoch, config.minEpochsToRetain(), lastHeapStateEpoch);
      }
      long end = System.nanoTime();
      durations.put("commit", millis(snapshotted, end));
      durations.put("total", millis(start, end));
      report(start, end, replaying, inputRows, durations, stateBytes);
      replay = null;
      if (finished) {
        return drained(activityBefore);
      }
      return config.trigger() != EpochConfig.Trigger.PROCESSING_TIME && caughtUp;
    }

    private EpochRequest request() {
      long interval = TimeUnit.MILLISECONDS.toNanos(intervalMillis.getAsLong());
      long now = System.nanoTime();
      deadlineNanos = Math.max(deadlineNanos + interval, now);
      long maxRecords =
          config.trigger() == EpochConfig.Trigger.ONCE ? Long.MAX_VALUE : maxRecordsPerBatch.getAsLong();
      return new EpochRequest(
          stages.options(),
          stages.parallelism(),
          clock,
          deadlineNanos,
          maxRecords,
          config.trigger() == EpochConfig.Trigger.PROCESSING_TIME);
    }

    private ObjectNode offsetsOf(Instant processingTime, Instant endProcessingTime)
        throws Exception {
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      node.put("epoch", epoch);
      node.put("parallelism", stages.parallelism());
      node.put("processingTime", processingTime.getMillis());
      node.put("endProcessingTime", endProcessingTime.getMillis());
      ObjectNode perSource = node.putObject("sources");
      for (Map.Entry<Stage, EpochSource> e : sources.entrySet()) {
        ObjectNode offsets = e.getValue().offsets();
        if (offsets == null) {
          throw new IllegalStateException(
              e.getKey().source().stepName() + " cannot be checkpointed; run without"
                  + " --checkpointDir");
        }
        perSource.set(Integer.toString(e.getKey().id()), offsets);
      }
      return node;
    }

    private ObjectNode sourceOffsets(ObjectNode epochOffsets, Stage stage) {
      JsonNode node = epochOffsets.path("sources").path(Integer.toString(stage.id()));
      if (!(node instanceof ObjectNode offsets)) {
        throw new IllegalStateException(
            "The offset log has no entry for source " + stage.source().stepName());
      }
      return offsets;
    }

    private void report(
        long start,
        long end,
        boolean replayed,
        long inputRows,
        Map<String, Long> durations,
        long stateBytes)
        throws Exception {
      long keys = 0;
      long cells = rocksDb == null ? 0 : rocksDb.approximateCellCount();
      for (KeyedStateStore[] stores : keyedState.values()) {
        for (KeyedStateStore store : stores) {
          keys += store.size();
          cells += store.cellCount();
        }
      }
      long lateRows = stages.lateRowsDropped();
      long backlog = 0;
      for (EpochSource source : sources.values()) {
        long b = source.backlogBytes();
        backlog = backlog < 0 || b < 0 ? -1 : backlog + b;
      }
      double sincePrevious = previousStartNanos == 0 ? 0 : (start - previousStartNanos) / 1e9;
      double duration = (end - start) / 1e9;
      progress.accept(
          new EpochProgress(
              log == null ? "" : log.runId(),
              epoch,
              java.time.Instant.now()
                  .minusNanos(System.nanoTime() - start)
                  .toString(),
              replayed,
              inputRows,
              sincePrevious > 0 ? inputRows / sincePrevious : 0,
              duration > 0 ? inputRows / duration : 0,
              durations,
              describe(lowWatermark()),
              keys,
              cells,
              rocksDb == null ? stateBytes : stateBytes + rocksDb.approximateSizeBytes(),
              lateRows - lateRowsBefore,
              backlog));
      lateRowsBefore = lateRows;
      previousStartNanos = start;
    }

    private Instant lowWatermark() {
      Instant low = BoundedWindow.TIMESTAMP_MAX_VALUE;
      for (Instant watermark : outputWatermarks.values()) {
        if (watermark.isBefore(low)) {
          low = watermark;
        }
      }
      return low;
    }

    /**
     * Processing time only moves forward, by at least 1 ms per epoch, so a timer set for "now" (a
     * splittable DoFn's resume timer) fires in the next epoch.
     */
    private Instant nextProcessingTime() {
      Instant now = clock.now();
      lastProcessingTime =
          now.isAfter(lastProcessingTime) ? now : lastProcessingTime.plus(Duration.millis(1));
      return lastProcessingTime;
    }

    private void runStages(
        Map<Stage, List<?>> splits,
        Instant processingTime,
        Instant endProcessingTime,
        boolean finished,
        boolean replaying)
        throws Exception {
      LOG.debug("Epoch {}: processing time {}, sources finished {}", epoch, processingTime, finished);
      for (Stage stage : plan.stages()) {
        Instant watermark = inputWatermark(stage);
        PlanExecutor.EpochTime time =
            new PlanExecutor.EpochTime(watermark, processingTime, endProcessingTime);
        if (stage.source() != null) {
          List<?> stageSplits = splits.get(stage);
          if (!stageSplits.isEmpty()) {
            stages.runStage(
                stage, exchanges, stageSplits, taskFactory(stage), false, time,
                p -> infoOf(p, replaying));
          }
          outputWatermarks.put(stage, held(stage, watermark));
        } else {
          runExchangeStage(stage, time, replaying);
        }
        for (PCollectionView<?> view : stage.producedViews()) {
          sideInputs.setWatermark(view, outputWatermarks.get(stage));
        }
      }
    }

    /**
     * Runs a stage fed by an exchange: every partition when it keeps keyed state or has held-back
     * elements to retry, else the partitions with input; then holds its output watermark.
     */
    private void runExchangeStage(Stage stage, PlanExecutor.EpochTime time, boolean replaying)
        throws Exception {
      boolean keyed = stage.inputExchange().isKeyed();
      KeyedStateStore[] stores = keyed ? storesOf(stage) : null;
      List<List<WindowedValue<?>>> pushback =
          stage.sideInputs().isEmpty() ? null : pushbackOf(stage);
      boolean retry = pushback != null && pushback.stream().anyMatch(b -> !b.isEmpty());
      stages.runStage(
          stage, exchanges, null, taskFactory(stage), keyed || retry, time,
          p -> infoOf(p, replaying));
      exchanges.get(stage.inputExchange()).clear();
      outputWatermarks.put(stage, held(stage, time.watermark()));
      if (stores != null) {
        for (KeyedStateStore store : stores) {
          store.evictIdle();
        }
      }
    }

    /** The stage's output watermark: its input watermark held back by its tasks' holds. */
    private Instant held(Stage stage, Instant watermark) {
      Instant output = watermark;
      for (StageTask task : tasks.getOrDefault(stage, new StageTask[0])) {
        if (task != null) {
          Instant hold = task.outputWatermarkHold();
          output = hold.isBefore(output) ? hold : output;
        }
      }
      return output;
    }

    /** Gets or creates the long-lived task of one partition of {@code stage}. */
    private PlanExecutor.TaskFactory taskFactory(Stage stage) {
      StageTask[] stageTasks =
          tasks.computeIfAbsent(stage, s -> new StageTask[stages.parallelism()]);
      return p -> {
        if (stageTasks[p] == null) {
          boolean keyed = stage.inputExchange() != null && stage.inputExchange().isKeyed();
          stageTasks[p] =
              new StageTask(
                  stage,
                  new TaskContext(
                      shared,
                      stage,
                      p,
                      keyed ? storesOf(stage)[p] : null,
                      stage.sideInputs().isEmpty() ? null : pushbackOf(stage).get(p)));
        }
        return stageTasks[p];
      };
    }

    private void closeTasks() throws Exception {
      List<StageTask> all = new ArrayList<>();
      for (StageTask[] stageTasks : tasks.values()) {
        all.addAll(java.util.Arrays.asList(stageTasks));
      }
      tasks.clear();
      PlanExecutor.closeAll(all);
    }

    /** The epoch as partition {@code p}'s sinks see it; null if the run is not checkpointed. */
    private io.beamline.sdk.io.EpochInfo infoOf(int p, boolean replaying) {
      return log == null
          ? null
          : new io.beamline.sdk.io.EpochInfo(
              log.runId(), epoch, p, stages.parallelism(), replaying, sinkCommitNanos);
    }

    KeyedStateStore[] storesOf(Stage stage) {
      return keyedState.computeIfAbsent(stage, this::newStores);
    }

    private KeyedStateStore[] newStores(Stage stage) {
      KeyedStateStore[] stores = new KeyedStateStore[stages.parallelism()];
      for (int p = 0; p < stores.length; p++) {
        stores[p] =
            rocksDb == null
                ? new KeyedStateStore()
                : KeyedStateStore.rocksDb(rocksDb, stage.id(), stage.inputExchange().keyCoder());
      }
      return stores;
    }

    List<List<WindowedValue<?>>> pushbackOf(Stage stage) {
      return pushedBack.computeIfAbsent(stage, s -> newPushbackBuffers());
    }

    /**
     * After the sources finished: true once every watermark is +∞. Otherwise a stage still holds
     * its watermark (a pending timer, a checkpointed restriction) and draining goes on; an epoch
     * without progress is followed by one at the end of processing time, and if that one moves
     * nothing either the run is stuck.
     */
    private boolean drained(long activityBefore) {
      if (allAtEndOfTime(outputWatermarks)) {
        return true;
      }
      boolean progress =
          stages.activity() != activityBefore || !outputWatermarks.equals(previousWatermarks);
      if (!progress && jumpToEndOfTime) {
        throw new IllegalStateException(
            "Pipeline is stuck after its sources finished: epoch "
                + epoch
                + " moved nothing even at the end of processing time; stage output watermarks: "
                + outputWatermarks);
      }
      jumpToEndOfTime = !progress;
      previousWatermarks = new HashMap<>(outputWatermarks);
      return false;
    }

    private Instant inputWatermark(Stage stage) {
      if (stage.source() != null) {
        return sources.get(stage).watermark();
      }
      Instant watermark = BoundedWindow.TIMESTAMP_MAX_VALUE;
      for (Stage upstream : stage.upstream()) {
        Instant upstreamWatermark = outputWatermarks.get(upstream);
        if (upstreamWatermark.isBefore(watermark)) {
          watermark = upstreamWatermark;
        }
      }
      return watermark;
    }
  }

  private static long millis(long fromNanos, long toNanos) {
    return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
  }

  private static String describe(Instant watermark) {
    if (!watermark.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE)) {
      return "-inf";
    }
    if (!watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
      return "+inf";
    }
    return watermark.toString();
  }

  private static boolean allAtEndOfTime(Map<Stage, Instant> watermarks) {
    for (Instant watermark : watermarks.values()) {
      if (watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        return false;
      }
    }
    return true;
  }

  private List<List<WindowedValue<?>>> newPushbackBuffers() {
    List<List<WindowedValue<?>>> buffers = new ArrayList<>();
    for (int p = 0; p < stages.parallelism(); p++) {
      buffers.add(new ArrayList<>());
    }
    return buffers;
  }

}
