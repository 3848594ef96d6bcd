package io.beamline.runners.realtime.internal;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.beamline.sdk.internal.checkpoint.CheckpointLog;
import io.beamline.sdk.internal.checkpoint.CheckpointSettings;
import io.beamline.sdk.internal.checkpoint.EpochCommitter;
import io.beamline.sdk.internal.checkpoint.Recovery;
import io.beamline.sdk.internal.metrics.RunMetrics;
import io.beamline.sdk.internal.operators.SourceProgress;
import io.beamline.sdk.internal.operators.Sources;
import io.beamline.sdk.internal.operators.StageTask;
import io.beamline.sdk.internal.operators.TaskContext;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.SourceSpec;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.sideinput.SideInputStore;
import io.beamline.sdk.internal.state.KeyedStateStore;
import io.beamline.sdk.internal.state.RocksDbDirs;
import io.beamline.sdk.internal.state.RocksDbStore;
import io.beamline.sdk.internal.state.StateBackend;
import io.beamline.sdk.internal.state.StateSnapshots;
import io.beamline.runners.realtime.RealtimeProgress;
import io.beamline.sdk.BeamlinePipelineOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.WindowedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an {@link ExecutablePlan} with every task of every stage started at once, each on its own
 * thread for the whole run, connected by bounded channels ({@link Topology}); records flow through
 * as soon as they are read, watermarks in-band behind them. The run is over when every task has
 * drained and ended; the first failure stops all of them.
 *
 * <p>Threading: {@link #execute} runs on the caller's (driver) thread, which waits for the task
 * threads; {@link #stop} from any thread.
 */
public final class RealtimeEngine {
  private static final Logger LOG = LoggerFactory.getLogger(RealtimeEngine.class);

  private final ExecutablePlan plan;
  private final PipelineOptions options;
  private final int parallelism;
  private final RunControl run;
  private final boolean enforceModel;
  private final List<TaskThread> tasks = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final LatencyHistogram latency = new LatencyHistogram();
  private final long progressIntervalMillis;
  private final @Nullable Path progressFile;
  private volatile @Nullable ProgressReporter progress;
  /** Set by {@link #enableCheckpoints}: how the run checkpoints, or null for not at all. */
  private @Nullable Checkpointing checkpointing;
  /** Set by {@link #checkpointInto}: where the run checkpoints and resumes, or null. */
  private @Nullable CheckpointSettings checkpointSettings;
  private long checkpointIntervalMillis;
  private @Nullable CheckpointCoordinator coordinator;
  /** The run's RocksDB while it runs with {@code --stateBackend=rocksdb} (unbounded), else null. */
  private volatile @Nullable RocksDbStore rocksDb;
  /** Per keyed stage its tasks' stores; per stage reading side inputs its held-back elements. */
  private final Map<Stage, KeyedStateStore[]> keyedState = new HashMap<>();
  private final Map<Stage, List<List<WindowedValue<?>>>> pushedBack = new HashMap<>();

  /**
   * How a run checkpoints (see {@link CheckpointCoordinator}).
   *
   * @param replayEpoch {@code firstEpoch} if it reads logged offsets again, else -1
   */
  record Checkpointing(
      long intervalMillis,
      long firstEpoch,
      String runId,
      long replayEpoch,
      CheckpointCoordinator.Listener listener) {}

  /**
   * @param enforceModel check elements against Beam's model ({@code ModelEnforcement})
   * @param progressIntervalMillis how often progress is reported
   * @param progressFile where progress is appended as JSON lines, or null
   */
  public RealtimeEngine(
      ExecutablePlan plan,
      PipelineOptions options,
      int parallelism,
      RunMetrics metrics,
      RunControl.Settings settings,
      boolean enforceModel,
      long progressIntervalMillis,
      @Nullable Path progressFile) {
    this.progressIntervalMillis = progressIntervalMillis;
    this.progressFile = progressFile;
    this.plan = plan;
    this.options = options;
    this.parallelism = parallelism;
    this.enforceModel = enforceModel;
    boolean testStream = false;
    for (Stage stage : plan.stages()) {
      testStream |= stage.source() instanceof SourceSpec.TestStreamRead;
    }
    this.run =
        new RunControl(
            settings,
            testStream ? RealtimeClock.synthetic() : RealtimeClock.wallClock(),
            metrics,
            testStream ? new InFlight() : InFlight.NONE);
  }

  /**
   * Makes the run take a checkpoint every {@code intervalMillis} at least (before {@link #execute}).
   *
   * @throws IllegalStateException if the plan plays a {@code TestStream}, which cannot be replayed
   */
  void enableCheckpoints(long intervalMillis, long firstEpoch, CheckpointCoordinator.Listener listener) {
    enableCheckpoints(new Checkpointing(intervalMillis, firstEpoch, "in-memory", -1, listener));
  }

  private void enableCheckpoints(Checkpointing checkpointing) {
    for (Stage stage : plan.stages()) {
      if (stage.source() instanceof SourceSpec.TestStreamRead) {
        throw new IllegalStateException("A run that plays a TestStream cannot checkpoint");
      }
    }
    this.checkpointing = checkpointing;
  }

  /**
   * Makes the run checkpoint into {@code settings.checkpointDir()} (MicroBatchRunner's format) every
   * {@code intervalMillis} at least, resuming from the last checkpoint there (before {@link
   * #execute}). RocksDB state is checkpointed as on MicroBatchRunner ({@code state/N/rocksdb}).
   */
  public void checkpointInto(CheckpointSettings settings, long intervalMillis) {
    this.checkpointSettings = settings;
    this.checkpointIntervalMillis = intervalMillis;
  }

  /** Stops the run: every task ends as soon as it can (cancel). */
  public void stop() {
    run.stop();
    synchronized (threads) {
      threads.forEach(Thread::interrupt);
    }
  }

  /**
   * Runs the plan until every task has ended.
   *
   * @throws InterruptedException if the calling thread is interrupted (cancel); the tasks are
   *     stopped first
   * @throws Exception the first failure of a task (user code exceptions arrive wrapped in Beam's
   *     {@code UserCodeException}), or of splitting a source
   */
  public void execute() throws Exception {
    StateBackend backend =
        CheckpointSettings.stateBackendOf(options.as(BeamlinePipelineOptions.class));
    CheckpointLog log =
        checkpointSettings == null
            ? null
            : CheckpointLog.open(checkpointSettings.checkpointDir(), plan.fingerprintLines());
    Path rocksDbDir =
        backend == StateBackend.ROCKSDB && !plan.bounded() ? RocksDbDirs.create() : null;
    RocksDbStore rocksDb = null;
    try {
      // from the last committed checkpoint's state/C/rocksdb, if there is one
      rocksDb = rocksDbDir == null ? null : Recovery.openRocksDb(log, rocksDbDir, parallelism);
      this.rocksDb = rocksDb;
      build(rocksDb, log);
      synchronized (threads) {
        threads.forEach(Thread::start);
      }
      Thread reporter = new Thread(progress, "beamline-rt-progress");
      reporter.setDaemon(true);
      reporter.start();
      Thread checkpoints = null;
      if (coordinator != null) {
        checkpoints = new Thread(coordinator, "beamline-rt-checkpoint");
        checkpoints.setDaemon(true);
        checkpoints.start();
      }
      try {
        awaitTasks();
        if (checkpoints != null && run.failure() == null && !run.isStopped()) {
          checkpoints.join(); // every task ended: the coordinator takes the last checkpoint
        }
      } finally {
        progress.stop();
        if (checkpoints != null) {
          checkpoints.interrupt();
          checkpoints.join(10_000);
        }
      }
    } finally {
      if (rocksDb != null) {
        this.rocksDb = null;
        rocksDb.close();
      }
      if (rocksDbDir != null) {
        MoreFiles.deleteRecursively(rocksDbDir, RecursiveDeleteOption.ALLOW_INSECURE);
      }
    }
    Throwable failure = run.failure();
    if (failure != null) {
      throw failure instanceof Exception e ? e : new RuntimeException(failure);
    }
  }

  private void awaitTasks() throws InterruptedException {
    try {
      for (Thread thread : threads) {
        while (thread.isAlive()) {
          thread.join(100);
          if (run.failure() != null) {
            stop(); // a task failed: the others must not wait for its output forever
          }
        }
      }
    } catch (InterruptedException e) {
      stop();
      for (Thread thread : threads) {
        thread.join(10_000);
      }
      throw e;
    }
  }

  /**
   * Wires the channels, restores the last checkpoint if the run has one, and creates every task
   * (operators created, not yet opened).
   *
   * @param log the run's checkpoint directory, or null to run without checkpoints
   * @throws io.beamline.sdk.CheckpointException if the checkpoint cannot be resumed
   */
  private void build(@Nullable RocksDbStore rocksDb, @Nullable CheckpointLog log)
      throws Exception {
    Topology topology = new Topology(plan, parallelism, run);
    SideInputStore sideInputs =
        plan.bounded()
            ? SideInputStore.readyByWatermark()
            : SideInputStore.readyByWatermarkIfBounded();
    StageWatermarks watermarks = new StageWatermarks(plan, parallelism, sideInputs, topology);
    Map<Stage, Instant> outputWatermarks = new HashMap<>();
    StateSnapshots snapshots =
        new StateSnapshots(
            plan,
            keyedState,
            pushedBack,
            outputWatermarks,
            sideInputs,
            stage -> storesOf(stage, rocksDb),
            this::pushedBackOf);
    CheckpointWriter resumed = null;
    if (log != null) {
      // chains as long as retention allows: a 1M-key base is ~100 MB, and bases every tenth
      // 100 ms checkpoint halved a 1M-key job's throughput; the keys rule still bounds recovery
      EpochCommitter committer =
          new EpochCommitter(
              log,
              checkpointSettings,
              snapshots,
              rocksDb,
              checkpointSettings.minEpochsToRetain());
      CheckpointWriter writer = new CheckpointWriter(committer, outputWatermarks, parallelism);
      Recovery.Start start =
          Recovery.restore(committer, checkpointSettings, snapshots, writer, plan, parallelism);
      writer.replay(start.epoch(), start.replay());
      resumed = writer.resumes() ? writer : null;
      enableCheckpoints(
          new Checkpointing(
              checkpointIntervalMillis,
              start.epoch(),
              log.runId(),
              start.replay() == null ? -1 : start.epoch(),
              writer));
    }
    if (checkpointing != null) {
      coordinator =
          new CheckpointCoordinator(
              plan,
              parallelism,
              snapshots,
              run,
              topology,
              checkpointing.intervalMillis(),
              checkpointing.firstEpoch(),
              checkpointing.runId(),
              checkpointing.replayEpoch(),
              checkpointing.listener());
    }
    progress =
        new ProgressReporter(
            plan, tasks, topology, watermarks, latency, progressIntervalMillis, progressFile);
    if (coordinator != null) {
      coordinator.reportTo(progress::checkpointed);
    }
    AtomicLong activity = new AtomicLong();
    List<Inbox> allInboxes = new ArrayList<>();
    for (Stage stage : plan.stages()) {
      for (int p = 0; p < parallelism; p++) {
        allInboxes.add(topology.inbox(stage, p));
      }
    }
    for (Stage stage : plan.stages()) {
      TaskContext.Shared shared =
          new TaskContext.Shared(
              options,
              parallelism,
              plan.bounded(),
              (spec, producer, partition) -> topology.writer(spec, producer, stage, partition),
              sideInputs,
              activity,
              enforceModel,
              SourceProgress.NONE);
      List<?> splits =
          stage.source() == null || resumed != null ? null : split(stage.source());
      boolean keyed = stage.inputExchange() != null && stage.inputExchange().isKeyed();
      for (int p = 0; p < parallelism; p++) {
        KeyedStateStore store = keyed ? storesOf(stage, rocksDb)[p] : null;
        List<WindowedValue<?>> heldBack =
            stage.sideInputs().isEmpty() ? null : pushedBackOf(stage).get(p);
        StageTask task = new StageTask(stage, new TaskContext(shared, stage, p, store, heldBack));
        TaskThread.Parts parts =
            new TaskThread.Parts(
                stage,
                p,
                task,
                run,
                topology.inbox(stage, p),
                watermarks,
                topology.outputs(stage, p),
                new TaskState(stage, p, store, heldBack, sideInputs, coordinator, rocksDb),
                plan.bounded(),
                latency);
        TaskThread thread;
        if (stage.source() instanceof SourceSpec.TestStreamRead read && p == 0) {
          List<Inbox> others = new ArrayList<>(allInboxes);
          others.remove(parts.inbox());
          thread = new TestStreamTask(parts, read.testStream(), others);
        } else if (stage.source() != null) {
          thread =
              new SourceTask(
                  parts,
                  resumed == null
                      ? reader(stage.source(), share(splits, p))
                      : resumedReader(stage, p, resumed));
        } else {
          thread = new ExchangeTask(parts, topology.inputCodec(stage));
        }
        tasks.add(thread);
        Thread t = new Thread(thread, "beamline-rt-" + stage.id() + "-" + p);
        t.setDaemon(true);
        threads.add(t);
      }
    }
    run.inFlight().tasksStarting(tasks.size());
    LOG.debug("Real-time run of {} stages x {} partitions wired", plan.stages().size(), parallelism);
  }

  private KeyedStateStore[] storesOf(Stage stage, @Nullable RocksDbStore rocksDb) {
    return keyedState.computeIfAbsent(
        stage,
        s -> {
          KeyedStateStore[] stores = new KeyedStateStore[parallelism];
          for (int p = 0; p < parallelism; p++) {
            stores[p] =
                rocksDb == null
                    ? new KeyedStateStore()
                    : KeyedStateStore.rocksDb(rocksDb, s.id(), p, s.inputExchange().keyCoder());
          }
          return stores;
        });
  }

  private List<List<WindowedValue<?>>> pushedBackOf(Stage stage) {
    return pushedBack.computeIfAbsent(
        stage,
        s -> {
          List<List<WindowedValue<?>>> lists = new ArrayList<>();
          for (int p = 0; p < parallelism; p++) {
            lists.add(new ArrayList<>());
          }
          return lists;
        });
  }

  /**
   * Task {@code p}'s reader of a resumed run: an unbounded read's logged splits at their end marks
   * (or, if the run reads a logged epoch again, at its start marks up to its end); nothing for a
   * bounded read or Impulse, which every RealtimeRunner checkpoint has read whole (its tasks ack
   * only once they ended).
   */
  private SourceTask.SourceReader resumedReader(Stage stage, int p, CheckpointWriter resumed)
      throws Exception {
    if (stage.source() instanceof SourceSpec.UnboundedRead read) {
      return resumed.replays()
          ? UnboundedSplits.replaying(resumed.replayedSplits(stage, p), read.stepName(), options)
          : UnboundedSplits.resumed(resumed.resumedSplits(stage, p), read.stepName(), options);
    }
    return SourceTask.impulse(false);
  }

  /** The splits of a source: bounded reads and Impulse as {@link Sources} splits them, unbounded
   * reads by {@code UnboundedSource.split}; a TestStream has none (one task plays it). */
  private List<?> split(SourceSpec source) throws Exception {
    if (source instanceof SourceSpec.UnboundedRead read) {
      return run.metrics()
          .withSourceMetrics(read.stepName(), () -> read.source().split(parallelism, options));
    }
    if (source instanceof SourceSpec.TestStreamRead) {
      return List.of();
    }
    return run.metrics()
        .withSourceMetrics(
            source.stepName(), () -> Sources.split(source, options, parallelism));
  }

  /** Task {@code p}'s splits: every P-th one, starting at p. */
  private List<Object> share(List<?> splits, int p) {
    List<Object> mine = new ArrayList<>();
    for (int s = p; s < splits.size(); s += parallelism) {
      mine.add(splits.get(s));
    }
    return mine;
  }

  @SuppressWarnings("unchecked")
  private SourceTask.SourceReader reader(SourceSpec source, List<Object> splits) throws Exception {
    if (source instanceof SourceSpec.Impulse) {
      return SourceTask.impulse(!splits.isEmpty());
    }
    if (source instanceof SourceSpec.BoundedRead) {
      return SourceTask.bounded((List<BoundedSource<?>>) (List<?>) splits, options);
    }
    if (source instanceof SourceSpec.UnboundedRead) {
      return UnboundedSplits.fresh((List<UnboundedSource<?, ?>>) (List<?>) splits, options);
    }
    return SourceTask.impulse(false); // a TestStream's other partitions: nothing to read
  }

  /**
   * The run's RocksDB state store while it runs, or null (heap state, or not started): what a
   * checkpoint listener snapshots when every task acked (as {@code EpochCommitter} does).
   */
  @Nullable
  RocksDbStore rocksDb() {
    return rocksDb;
  }

  /** The most recent progress reports (at most 100), oldest first; empty before the first. */
  public List<RealtimeProgress> recentProgress() {
    ProgressReporter reporter = progress;
    return reporter == null ? List.of() : reporter.recent();
  }
}
