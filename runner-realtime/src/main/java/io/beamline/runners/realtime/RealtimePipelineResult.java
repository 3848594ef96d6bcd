package io.beamline.runners.realtime;

import io.beamline.runners.realtime.internal.RealtimeEngine;
import io.beamline.runners.realtime.internal.RunControl;
import io.beamline.sdk.Parallelism;
import io.beamline.sdk.internal.lifecycle.RunState;
import io.beamline.sdk.internal.metrics.RunMetrics;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.util.UserCodeException;
import org.joda.time.Duration;

/**
 * The result of a {@link RealtimeRunner} run: its state, its metrics, and a way to wait for it or
 * cancel it.
 *
 * <p>State machine: {@link RunState} ({@code STARTING → RUNNING → DONE | FAILED | CANCELLED}, the
 * last three terminal), reported as Beam's {@code PipelineResult.State}.
 *
 * <p>Threading: one non-daemon driver thread (so a {@code main} that only calls {@code run()} still
 * completes) waits for the run's task threads (daemon, one per stage and partition). All public
 * methods are thread-safe.
 */
public final class RealtimePipelineResult implements PipelineResult {
  private static final AtomicInteger RUN_IDS = new AtomicInteger();

  private final RunMetrics metrics = new RunMetrics();
  private final RealtimeEngine engine;
  private final Thread driver;
  private volatile RunState state = RunState.STARTING;
  private volatile Throwable failure;

  RealtimePipelineResult(ExecutablePlan plan, RealtimePipelineOptions options) {
    this.engine =
        new RealtimeEngine(
            plan,
            options,
            Parallelism.of(options),
            metrics,
            new RunControl.Settings(
                options.getMaxBundleElements(),
                options.getMaxBundleTimeMillis(),
                options.getChannelCapacity()),
            Boolean.TRUE.equals(options.getEnforceModel()),
            RealtimeRunner.progressIntervalMillis(options.getProgressInterval()),
            options.getProgressFile() == null ? null : java.nio.file.Path.of(options.getProgressFile()));
    this.driver =
        new Thread(this::runToCompletion, "beamline-rt-driver-" + RUN_IDS.incrementAndGet());
  }

  /** See {@link RealtimeEngine#checkpointInto}. */
  void checkpointInto(io.beamline.sdk.internal.checkpoint.CheckpointSettings settings, long intervalMillis) {
    engine.checkpointInto(settings, intervalMillis);
  }

  void start() {
    driver.start();
  }

  private void runToCompletion() {
    if (!moveTo(RunState.RUNNING)) {
      return; // cancelled before it started
    }
    try {
      engine.execute();
      moveTo(RunState.DONE);
    } catch (Throwable t) {
      synchronized (this) {
        if (!state.isTerminal()) {
          failure = t;
        }
      }
      moveTo(RunState.FAILED);
    }
  }

  /** Moves to {@code next} unless already terminal (a cancel won the race); wakes waiters. */
  private synchronized boolean moveTo(RunState next) {
    if (state.isTerminal()) {
      notifyAll();
      return false;
    }
    state = state.to(next);
    notifyAll();
    return true;
  }

  @Override
  public State getState() {
    return state.beamState();
  }

  /**
   * Cancels the run: every task stops as soon as it can (a DoFn that ignores interruption finishes
   * its current element first). Returns the state after the call: {@code CANCELLED}, or the
   * terminal state the run had already reached.
   */
  @Override
  public synchronized State cancel() {
    if (!state.isTerminal()) {
      state = state.to(RunState.CANCELLED);
      engine.stop();
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
      Throwable cause = failure;
      while (cause instanceof UserCodeException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      throw new Pipeline.PipelineExecutionException(cause);
    }
    try {
      driver.join(Math.max(1, Math.min(deadline - System.currentTimeMillis(), 60_000)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    return driver.isAlive() ? null : state.beamState();
  }

  @Override
  public State waitUntilFinish() {
    return waitUntilFinish(Duration.ZERO);
  }

  /** Progress reports of the most recent intervals (at most 100), oldest first. */
  public java.util.List<RealtimeProgress> recentProgress() {
    return engine.recentProgress();
  }

  /** The last progress report, or null before the first interval has ended. */
  public @org.checkerframework.checker.nullness.qual.Nullable RealtimeProgress lastProgress() {
    java.util.List<RealtimeProgress> recent = engine.recentProgress();
    return recent.isEmpty() ? null : recent.get(recent.size() - 1);
  }

  /** Attempted and committed metrics; committed metrics count only bundles that succeeded. */
  @Override
  public MetricResults metrics() {
    return metrics.results();
  }
}
