package io.beamline.runners.microbatch.internal;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.beamline.sdk.EpochPhase;
import io.beamline.monitoring.EpochTuner;
import io.beamline.monitoring.EpochTuning;
import io.beamline.sdk.EpochProgress;
import io.beamline.sdk.internal.checkpoint.CheckpointLog;
import io.beamline.sdk.internal.checkpoint.CheckpointSettings;
import io.beamline.sdk.internal.checkpoint.EpochCommitter;
import io.beamline.sdk.internal.checkpoint.Recovery;
import io.beamline.sdk.internal.lifecycle.EpochTimer;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.state.RocksDbDirs;
import io.beamline.sdk.internal.state.RocksDbStore;
import io.beamline.sdk.internal.state.StateBackend;
import io.beamline.sdk.io.EpochInfo;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an {@link ExecutablePlan} as a sequence of epochs (micro-batches). Each epoch walks the
 * phases of {@link EpochPhase}: the {@link EpochPlanner} plans a slice of every source (the hybrid
 * trigger), the {@link EpochCommitter} logs it to {@code offsets/N}, the {@link StageScheduler}
 * runs every stage over it in plan order (timers firing up to each stage's new watermark), the
 * committer snapshots state and writes {@code commits/N}, sources finalize their marks and the
 * {@link ProgressReporter} reports the epoch. {@link Recovery} restarts a run from its checkpoint.
 *
 * <p>End of a run: once every source is exhausted (watermark +∞), epochs go on until every stage's
 * output watermark is +∞: processing time keeps moving (so resume timers of splittable DoFns fire),
 * an epoch without progress is followed by one at the end of processing time (firing every
 * remaining processing-time timer), and if that one makes no progress either the run fails as
 * stuck, with every stage's watermark in the message, instead of spinning. With {@code
 * --trigger=once/availableNow} the run stops once the sources have caught up.
 *
 * <p>Threading: {@link #execute()} runs on the driver thread; stages run on the runner's pool.
 */
public final class EpochLoop {
  private static final Logger LOG = LoggerFactory.getLogger(EpochLoop.class);

  private final ExecutablePlan plan;
  private final StageRunner runner;
  private final EpochConfig config;
  private final ProgressLog progress;
  private EpochTuner tuner;

  /**
   * @param progress receives one report per epoch, on the driver thread
   */
  public EpochLoop(StageRunner runner, EpochConfig config, ProgressLog progress) {
    this.plan = runner.plan();
    this.runner = runner;
    this.config = config;
    this.progress = progress;
    this.tuner =
        EpochTuner.fixed(
            new EpochTuning(config.batchInterval().getMillis(), config.maxRecordsPerBatch()));
  }

  /**
   * Reads the hybrid trigger's interval and record cap from {@code tuner} when planning each epoch
   * instead of from the configuration (the monitor's {@code --autoTune} tuner, which the progress
   * consumer advances once per epoch). Call before {@link #execute()}.
   */
  public EpochLoop withTuner(EpochTuner tuner) {
    this.tuner = tuner;
    return this;
  }

  /**
   * Runs epochs until the run is over (see the class comment).
   *
   * @throws InterruptedException if the driver thread is interrupted (cancellation)
   * @throws IllegalStateException if, after the sources finished, the run cannot move any more
   * @throws io.beamline.sdk.CheckpointException if the checkpoint directory is corrupt or was
   *     written by another pipeline
   * @throws Exception the first failure of a task
   */
  public void execute() throws Exception {
    CheckpointSettings settings = config.checkpoint();
    CheckpointLog log =
        settings.checkpointDir() == null
            ? null
            : CheckpointLog.open(settings.checkpointDir(), plan.fingerprintLines());
    Path rocksDbDir = settings.stateBackend() == StateBackend.ROCKSDB ? RocksDbDirs.create() : null;
    RocksDbStore rocksDb = null;
    EpochPlanner planner = new EpochPlanner(plan, runner, config, tuner);
    StageScheduler scheduler = null;
    try {
      rocksDb =
          rocksDbDir == null ? null : Recovery.openRocksDb(log, rocksDbDir, runner.parallelism());
      scheduler = new StageScheduler(runner, rocksDb);
      EpochCommitter committer =
          log == null ? null : new EpochCommitter(log, settings, scheduler.snapshots(), rocksDb);
      Recovery.Start start =
          committer == null
              ? Recovery.Start.fresh()
              : Recovery.restore(
                  committer, settings, scheduler.snapshots(), planner, plan, runner.parallelism());
      if (log != null) {
        progress.recoverFrom(log, start.epoch());
      }
      new Run(planner, scheduler, committer, rocksDb, log, start).execute();
    } finally {
      planner.close();
      if (scheduler != null) {
        try {
          scheduler.close();
        } catch (Exception e) {
          LOG.warn("Closing the stages' operators failed", e);
        }
      }
      if (rocksDb != null) {
        rocksDb.close();
      }
      if (rocksDbDir != null) {
        MoreFiles.deleteRecursively(rocksDbDir, RecursiveDeleteOption.ALLOW_INSECURE);
      }
    }
  }

  /** The epochs of one run. Driver thread only. */
  private final class Run {
    private final EpochPlanner planner;
    private final StageScheduler scheduler;
    private final @Nullable EpochCommitter committer;
    private final ProgressReporter reporter;
    private final String runId;
    /** Time sinks spent committing in the current epoch ({@code EpochInfo#addSinkCommitNanos}). */
    private final LongAdder sinkCommitNanos = new LongAdder();
    private long epoch;
    private com.fasterxml.jackson.databind.node.@Nullable ObjectNode replay;
    private boolean jumpToEndOfTime;
    private Map<Stage, Instant> previousWatermarks = Map.of();

    Run(
        EpochPlanner planner,
        StageScheduler scheduler,
        @Nullable EpochCommitter committer,
        @Nullable RocksDbStore rocksDb,
        @Nullable CheckpointLog log,
        Recovery.Start start) {
      this.planner = planner;
      this.scheduler = scheduler;
      this.committer = committer;
      this.runId = log == null ? "" : log.runId();
      this.reporter = new ProgressReporter(progress, runner.metrics(), rocksDb, runId);
      this.epoch = start.epoch();
      this.replay = start.replay();
      this.jumpToEndOfTime = start.jumpToEndOfTime();
    }

    void execute() throws Exception {
      for (; ; epoch++) {
        if (Thread.interrupted()) {
          throw new InterruptedException("cancelled before epoch " + epoch);
        }
        if (runEpoch()) {
          return;
        }
      }
    }

    /** Runs one epoch through its phases; true when the run is over. */
    private boolean runEpoch() throws Exception {
      EpochTimer timer = new EpochTimer(epoch);
      boolean replaying = replay != null;
      EpochPlanner.Planned planned = planner.plan(replay, jumpToEndOfTime);
      timer.enter(EpochPhase.OFFSET_LOG);
      if (committer != null && !replaying) {
        committer.logOffsets(epoch, planner.offsetsOf(epoch, planned));
      }
      timer.enter(EpochPhase.PROCESS);
      long activityBefore = runner.activity();
      sinkCommitNanos.reset();
      scheduler.runEpoch(
          planned.splits(),
          planner::watermark,
          planned.processingTime(),
          planned.endProcessingTime(),
          p -> infoOf(p, replaying));
      timer.add(EpochPhase.SINK_COMMIT, sinkCommitNanos.sum());
      timer.enter(EpochPhase.STATE_SNAPSHOT);
      long stateBytes = committer == null ? 0 : committer.snapshot(epoch);
      timer.enter(EpochPhase.COMMIT);
      if (committer != null) {
        committer.commit(
            epoch, scheduler.lowWatermark(), planner.processingTime(), jumpToEndOfTime);
      }
      planner.committed();
      if (committer != null) {
        committer.purge(epoch);
      }
      Map<String, Long> durations = timer.finish();
      reporter.report(
          new ProgressReporter.Epoch(
              epoch,
              timer.startNanos(),
              System.nanoTime(),
              replaying,
              planned.inputRows(),
              durations,
              scheduler.lowWatermark(),
              scheduler.stateKeys(),
              scheduler.stateCells(),
              stateBytes,
              planner.backlogBytes(),
              planner.backlogRecords(),
              scheduler.stageRecords()));
      replay = null;
      if (planned.finished()) {
        return drained(activityBefore);
      }
      return config.trigger() != EpochConfig.Trigger.PROCESSING_TIME && planned.caughtUp();
    }

    /** The epoch as partition {@code p}'s sinks see it; null if the run is not checkpointed. */
    private @Nullable EpochInfo infoOf(int p, boolean replaying) {
      return committer == null
          ? null
          : new EpochInfo(runId, epoch, p, runner.parallelism(), replaying, sinkCommitNanos);
    }

    /**
     * After the sources finished: true once every watermark is +∞. Otherwise a stage still holds
     * its watermark (a pending timer, a checkpointed restriction) and draining goes on; after an
     * epoch without progress the run waits for a pending processing-time timer of the wall clock
     * ({@link #waitForProcessingTimer}) if there is one, else the next epoch is at the end of
     * processing time, and if that one moves nothing either the run is stuck.
     */
    private boolean drained(long activityBefore) throws InterruptedException {
      if (scheduler.allAtEndOfTime()) {
        return true;
      }
      Map<Stage, Instant> watermarks = scheduler.outputWatermarks();
      boolean progress =
          runner.activity() != activityBefore || !watermarks.equals(previousWatermarks);
      if (!progress && !jumpToEndOfTime && waitForProcessingTimer()) {
        previousWatermarks = watermarks;
        return false;
      }
      if (!progress && jumpToEndOfTime) {
        throw new IllegalStateException(
            "Pipeline is stuck after its sources finished: epoch "
                + epoch
                + " moved nothing even at the end of processing time; stage output watermarks: "
                + watermarks);
      }
      jumpToEndOfTime = !progress;
      previousWatermarks = watermarks;
      return false;
    }

    /**
     * With wall-clock processing time, a pending processing-time timer that the clock has not
     * reached yet is work that waiting will do (a splittable DoFn's resume timer: PeriodicSequence
     * until its next element is due, Watch until its next poll; both read the wall clock
     * themselves): waits until it is due and returns true, so the next epoch fires it. Jumping to
     * the end of processing time instead would fire such a timer early and leave the keys' clocks
     * at +∞, so the timer it sets again could never fire (DirectRunner also waits for the wall
     * clock). False, without waiting, with a synthetic clock, without such a timer, or if the
     * earliest one should already have fired (it is before this epoch's processing time; since
     * processing time moves at least 1 ms per epoch, a timer that does not fire is not waited for
     * twice).
     *
     * @throws InterruptedException if the run is cancelled while waiting
     */
    private boolean waitForProcessingTimer() throws InterruptedException {
      if (planner.clock().isSynthetic()) {
        return false;
      }
      Instant earliest = scheduler.earliestProcessingTimer();
      // A timer fires once processing time is past it: one at exactly this epoch's processing time
      // fires in the next epoch; one before it should have fired already.
      if (!earliest.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)
          || earliest.isBefore(planner.processingTime())) {
        return false;
      }
      long waitMillis = earliest.getMillis() + 1 - planner.clock().now().getMillis();
      if (waitMillis > 0) {
        if (waitMillis >= 10_000) {
          LOG.info("Waiting {} ms for the earliest processing-time timer, at {}", waitMillis, earliest);
        } else {
          LOG.debug("Waiting {} ms for the earliest processing-time timer, at {}", waitMillis, earliest);
        }
        // the run has nothing to do until then: this is the scheduled wake-up, not a poll
        Thread.sleep(waitMillis);
      }
      return true;
    }
  }
}
