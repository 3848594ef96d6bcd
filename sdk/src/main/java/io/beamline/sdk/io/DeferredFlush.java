package io.beamline.sdk.io;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Lets an at-least-once sink flush at its runner's commit points instead of at the end of every
 * bundle.
 *
 * <p>Beam's contract is that what a bundle wrote is durable when its {@code @FinishBundle} returns,
 * since a runner may commit the bundle (its input consumed, its output kept) right after; Beam's
 * own {@code KafkaIO} writer flushes its producer there. A runner that commits nothing per bundle
 * has no use for that flush, and a blocking flush per short bundle costs a broker round trip each
 * time. Such a runner — RealtimeRunner, whose only commit point is the end of a task's input until
 * its barrier checkpoints — installs a {@code DeferredFlush} on each task thread ({@link
 * #install()}) and runs every deferred flush at its commit points ({@link #flushAll()}), before it
 * reports the input done; Flink's at-least-once {@code KafkaSink} flushes at the same points
 * ({@code SinkWriter#flush(boolean endOfInput)}: at checkpoints and at the end of input).
 *
 * <p>A sink's side: at the end of a bundle, check what can be checked without blocking (failed
 * sends) and then, if {@link #current()} is present, {@link #defer} the flush; otherwise flush as
 * Beam's contract asks. Where nothing is installed — MicroBatchRunner, whose bundle is an epoch, and
 * every other Beam runner — {@link #current()} is empty and sinks flush per bundle.
 *
 * <p>Threading: an instance is confined to the task thread it was installed on.
 */
public final class DeferredFlush {
  /** One sink's flush: makes durable everything the sink has sent, or throws what failed. */
  @FunctionalInterface
  public interface Flush {
    /**
     * Blocks until everything sent so far is acknowledged.
     *
     * @throws Exception if something sent was not (the run fails with it)
     */
    void flush() throws Exception;
  }

  /**
   * One sink shard's output of the current epoch, committed at the runner's checkpoint barrier in
   * two phases (RealtimeRunner's barrier checkpoints with an exactly-once sink): {@link #preCommit}
   * makes it durable and ready (flush, marker), then, once the checkpoint's {@code offsets/N} is
   * durable, {@link #commit} commits it — before {@code commits/N}, as on MicroBatchRunner, so a
   * crash in between replays epoch N, whose output the sink then skips by its marker.
   */
  public interface EpochCommit {
    /**
     * Phase one: everything of the epoch sent is acknowledged and the commit prepared.
     *
     * @throws Exception if it cannot be (the run fails; a restart replays the epoch)
     */
    void preCommit() throws Exception;

    /**
     * Phase two: commits the epoch's output.
     *
     * @throws Exception if the commit failed or its outcome is unknown (the run fails)
     */
    void commit() throws Exception;
  }

  private static final ThreadLocal<DeferredFlush> CURRENT = new ThreadLocal<>();

  /** In registration order; a flush registered again (the next bundle's) is kept once. */
  private final Set<Flush> pending = new LinkedHashSet<>();
  /** Epoch commits waiting for the next barrier, kept once each as {@link #pending}. */
  private final Set<EpochCommit> commits = new LinkedHashSet<>();

  private DeferredFlush() {}

  /**
   * The calling thread's deferred flushes, or empty where the runner commits per bundle (then a
   * sink flushes in {@code @FinishBundle}).
   */
  public static Optional<DeferredFlush> current() {
    return Optional.ofNullable(CURRENT.get());
  }

  /**
   * For runners: makes the calling thread's sinks defer their flushes to this thread's commit
   * points, until {@link #uninstall()}.
   *
   * @return the calling thread's new instance, whose {@link #flushAll()} the runner calls at each
   *     commit point
   */
  public static DeferredFlush install() {
    DeferredFlush flushes = new DeferredFlush();
    CURRENT.set(flushes);
    return flushes;
  }

  /** For runners: sinks of the calling thread flush per bundle again. */
  public static void uninstall() {
    CURRENT.remove();
  }

  /**
   * For sinks: runs {@code flush} at the runner's next commit point instead of now. Registering the
   * same object again before that point runs it once; identity is the object's {@code equals}, so
   * register the same object each time (a method reference is a new object at every evaluation).
   */
  public void defer(Flush flush) {
    pending.add(flush);
  }

  /**
   * For exactly-once sinks of a runner that commits at checkpoint barriers: commits {@code commit}
   * at the next barrier ({@link #preCommitAll}, then {@link #commitAll}). Registering the same object
   * again before that barrier commits it once.
   */
  public void deferCommit(EpochCommit commit) {
    commits.add(commit);
  }

  /** Whether an epoch commit is waiting for the next barrier. */
  public boolean hasCommits() {
    return !commits.isEmpty();
  }

  /**
   * For runners, at a barrier: phase one of every waiting epoch commit, in registration order.
   *
   * @throws Exception the first failure (the others are not run: the run fails and replays)
   */
  public void preCommitAll() throws Exception {
    for (EpochCommit commit : commits) {
      commit.preCommit();
    }
  }

  /**
   * For runners, at a barrier once the checkpoint's offsets are durable: phase two of every waiting
   * epoch commit, in registration order; then none is waiting.
   *
   * @throws Exception the first failure (the others are not run: the run fails and replays)
   */
  public void commitAll() throws Exception {
    List<EpochCommit> due = new ArrayList<>(commits);
    commits.clear();
    for (EpochCommit commit : due) {
      commit.commit();
    }
  }

  /** Whether a flush is waiting for the next commit point. */
  public boolean hasPending() {
    return !pending.isEmpty();
  }

  /**
   * For runners, at a commit point: runs every deferred flush once, in registration order, also
   * when some fail.
   *
   * @throws Exception the first failure, the others suppressed into it
   */
  public void flushAll() throws Exception {
    List<Flush> due = new ArrayList<>(pending);
    pending.clear();
    Exception failure = null;
    for (Flush flush : due) {
      try {
        flush.flush();
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
