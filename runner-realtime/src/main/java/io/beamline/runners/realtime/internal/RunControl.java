package io.beamline.runners.realtime.internal;

import io.beamline.sdk.internal.metrics.RunMetrics;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What every task of one real-time run shares: its settings, clock, metrics and in-flight count,
 * and whether the run has stopped (it failed or was cancelled). The first failure stops the run:
 * every task sees {@link #isStopped()} and ends, producers waiting on a full queue give up.
 *
 * <p>Threading: thread-safe.
 */
public final class RunControl {
  /**
   * @param maxBundleSize elements after which a streaming run's bundle ends ({@code
   *     --maxBundleElements}, FlinkPipelineOptions' {@code maxBundleSize}); a bundle also ends as
   *     soon as a task finds no input waiting
   * @param maxBundleTimeMillis milliseconds after which a bundle ends (FlinkPipelineOptions' {@code
   *     maxBundleTimeMills})
   * @param channelCapacity items per channel between two tasks
   */
  public record Settings(long maxBundleSize, long maxBundleTimeMillis, int channelCapacity) {}

  private final Settings settings;
  private final RealtimeClock clock;
  private final RunMetrics metrics;
  private final InFlight inFlight;
  private final List<Inbox> inboxes = new ArrayList<>();
  private volatile boolean stopped;
  private volatile @Nullable Throwable failure;

  public RunControl(Settings settings, RealtimeClock clock, RunMetrics metrics, InFlight inFlight) {
    this.settings = settings;
    this.clock = clock;
    this.metrics = metrics;
    this.inFlight = inFlight;
  }

  Settings settings() {
    return settings;
  }

  RealtimeClock clock() {
    return clock;
  }

  RunMetrics metrics() {
    return metrics;
  }

  InFlight inFlight() {
    return inFlight;
  }

  /** A new inbox that {@link #stop} wakes; wiring only. */
  Inbox newInbox() {
    Inbox inbox = new Inbox(this);
    inboxes.add(inbox);
    return inbox;
  }

  boolean isStopped() {
    return stopped;
  }

  /** Records the run's first failure and stops it. */
  void fail(Throwable t) {
    synchronized (this) {
      if (failure == null && !stopped) {
        failure = t;
      }
    }
    stop();
  }

  /** Stops every task (cancel, or after a failure). */
  public void stop() {
    stopped = true;
    for (Inbox inbox : inboxes) {
      inbox.wake();
    }
  }

  /** The first failure, or null. */
  public @Nullable Throwable failure() {
    return failure;
  }
}
