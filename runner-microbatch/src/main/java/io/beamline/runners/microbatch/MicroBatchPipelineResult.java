package io.beamline.runners.microbatch;

import io.beamline.monitoring.BoundedProgress;
import io.beamline.monitoring.JobMonitor;
import io.beamline.sdk.internal.operators.SourceProgress;
import io.beamline.runners.microbatch.internal.ProgressLog;
import io.beamline.sdk.EpochProgress;
import io.beamline.sdk.Parallelism;
import io.beamline.runners.microbatch.internal.EpochConfig;
import io.beamline.runners.microbatch.internal.BoundedRun;
import io.beamline.runners.microbatch.internal.EpochLoop;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.runners.microbatch.internal.StageRunner;
import io.beamline.sdk.internal.lifecycle.RunState;
import io.beamline.sdk.internal.metrics.RunMetrics;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.util.UserCodeException;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The result of a {@link MicroBatchRunner} run: its state, its metrics, and a way to wait for it
 * or cancel it.
 *
 * <p>State machine: {@link RunState} ({@code STARTING → RUNNING → DONE | FAILED | CANCELLED}, the
 * last three terminal), reported as Beam's {@code PipelineResult.State}.
 *
 * <p>Threading: the pipeline runs on one non-daemon driver thread (so a {@code main} that only
 * calls {@code run()} still completes) plus a pool of {@code parallelism} daemon task threads. All
 * public methods are thread-safe.
 */
public final class MicroBatchPipelineResult implements PipelineResult {
  private static final AtomicInteger RUN_IDS = new AtomicInteger();

  private final ExecutablePlan plan;
  private final MicroBatchPipelineOptions options;
  private final @Nullable EpochConfig epochs;
  private final ProgressLog progress;
  private final JobMonitor monitor;
  private final RunMetrics metrics = new RunMetrics();
  private final Thread driver;
  private volatile ExecutorService pool;
  private volatile RunState state = RunState.STARTING;
  private volatile Throwable failure;

  MicroBatchPipelineResult(
      ExecutablePlan plan,
      MicroBatchPipelineOptions options,
      @Nullable EpochConfig epochs,
      ProgressLog progress,
      JobMonitor monitor) {
    this.plan = plan;
    this.options = options;
    this.epochs = epochs;
    this.progress = progress;
    this.monitor = monitor;
    monitor.setMetrics(this::metrics);
    this.driver = new Thread(this::runToCompletion, "beamline-driver-" + RUN_IDS.incrementAndGet());
  }

  void start() {
    driver.start();
  }

  private void runToCompletion() {
    int parallelism = Parallelism.of(options);
    pool = Executors.newFixedThreadPool(parallelism, taskThreads());
    if (!moveTo(RunState.RUNNING)) { // cancelled before it started
      pool.shutdownNow();
      return;
    }
    try {
      StageRunner runner =
          new StageRunner(
              plan,
              options,
              parallelism,
              pool,
              metrics,
              Boolean.TRUE.equals(options.getEnforceModel()));
      if (plan.bounded()) {
        BoundedProgress bounded = monitor.boundedProgress();
        runner.withSourceProgress(
            new SourceProgress() {
              @Override
              public void estimatedBytes(long bytes) {
                bounded.addEstimatedBytes(bytes);
              }

              @Override
              public void read(long rows, long bytes) {
                bounded.addRows(rows);
                bounded.addBytes(bytes);
              }
            });
        BoundedRun.execute(runner);
        bounded.finish();
      } else {
        new EpochLoop(runner, epochs, progress).withTuner(monitor.tuner()).execute();
      }
      moveTo(RunState.DONE);
    } catch (Throwable t) {
      synchronized (this) {
        if (!state.isTerminal()) {
          failure = t;
        }
      }
      moveTo(RunState.FAILED);
    } finally {
      pool.shutdownNow();
      try {
        progress.close();
      } catch (java.io.IOException e) {
        // progress is informational
      }
      monitor.setState(state.beamState());
      monitor.close();
    }
  }

  /**
   * Moves the run to {@code next} unless it is already terminal (a cancel won the race); wakes
   * waiters.
   *
   * @return true if the state changed
   */
  private synchronized boolean moveTo(RunState next) {
    if (state.isTerminal()) {
      notifyAll();
      return false;
    }
    state = state.to(next);
    notifyAll();
    return true;
  }

  private ThreadFactory taskThreads() {
    String prefix = driver.getName().replace("driver", "task") + "-";
    AtomicInteger ids = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + ids.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  @Override
  public State getState() {
    return state.beamState();
  }

  /**
   * Cancels the run: no further stage starts and running tasks are interrupted (a DoFn that ignores
   * interruption finishes its current element first). Returns the state after the call: {@code
   * CANCELLED}, or the terminal state the run had already reached.
   */
  @Override
  public synchronized State cancel() {
    if (!state.isTerminal()) {
      state = state.to(RunState.CANCELLED);
      ExecutorService tasks = pool;
      if (tasks != null) {
        tasks.shutdownNow();
      }
      driver.interrupt();
      notifyAll();
    }
    return state.beamState();
  }

  /**
   * Waits at most {@code duration} (null or non-positive: forever) for a terminal state.
   *
   * @return the terminal state, or null if the run is still going after {@code duration}; a
   *     cancelled run counts as finished once its tasks have stopped
   * @throws Pipeline.PipelineExecutionException if the pipeline failed; its cause is the exception
   *     of the user code that failed
   */
  @Override
  public State waitUntilFinish(Duration duration) {
    long deadline =
        duration == null || duration.getMillis() <= 0
            ? Long.MAX_VALUE
            : System.currentTimeMillis() + duration.getMillis();
    synchronized (this) {
      while (!state.isTerminal()) {
        long remaining = deadline - System.currentTimeMillis();
        if (remaining <= 0) {
          return null;
        }
        try {
          wait(Math.min(remaining, 1_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return null;
        }
      }
    }
    if (state == RunState.FAILED) {
      throw asExecutionException(failure);
    }
    if (state == RunState.CANCELLED && !awaitDriver(deadline)) {
      return null; // cancelled, but tasks have not stopped yet
    }
    return state.beamState();
  }

  /** Waits until the driver thread (and so every task it waits for) has stopped. */
  private boolean awaitDriver(long deadline) {
    try {
      while (driver.isAlive()) {
        long remaining = deadline - System.currentTimeMillis();
        if (remaining <= 0) {
          return false;
        }
        driver.join(Math.min(remaining, 1_000));
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public State waitUntilFinish() {
    return waitUntilFinish(Duration.ZERO);
  }

  private static RuntimeException asExecutionException(Throwable t) {
    Throwable cause = t;
    while (cause instanceof UserCodeException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return new Pipeline.PipelineExecutionException(cause);
  }

  /**
   * Progress reports of the most recent epochs (at most 100), oldest first; empty for a bounded
   * run, which has a single epoch and no report.
   */
  public List<EpochProgress> recentProgress() {
    return progress.recent();
  }

  /**
   * The address of the run's web UI (page, JSON API, Prometheus {@code /metrics}) while it runs, or
   * null with {@code --uiPort=0}. The server stops when the run ends.
   */
  /**
   * How far a bounded run has read its sources: rows, bytes of their estimated size, elapsed time
   * and ETA (what the console progress bar and the web UI show).
   */
  public BoundedProgress.Snapshot boundedProgress() {
    return monitor.boundedProgress().snapshot();
  }

  public java.net.@Nullable URI uiUri() {
    return monitor.uiUri();
  }

  /** The report of the last finished epoch, or null if none has finished yet. */
  public @Nullable EpochProgress lastProgress() {
    List<EpochProgress> recent = progress.recent();
    return recent.isEmpty() ? null : recent.get(recent.size() - 1);
  }

  /** Attempted and committed metrics; committed metrics count only tasks that succeeded. */
  @Override
  public MetricResults metrics() {
    return metrics.results();
  }
}
