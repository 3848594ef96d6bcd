package io.beamline.sdk.io;

import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * The epoch a task is processing, as an epoch-transactional sink sees it: the checkpointed run, the
 * epoch number and the sink's shard. Present only while a Beamline runner executes a task of a run
 * with a checkpoint directory; {@link #current()} is empty everywhere else (a bounded run, another
 * Beam runner).
 *
 * <p>The contract a sink builds exactly-once on (the Spark Structured Streaming sink contract,
 * {@code (queryId, batchId)}): the runner writes {@code commits/N} only after every task of epoch N
 * has finished, including the sinks' {@code @FinishBundle}. If the process dies before {@code
 * commits/N}, the restarted run replays epoch N over the same input with the state of N-1, so each
 * shard receives the same records again with the same {@link #runId()}, {@link #epoch()} and
 * {@link #shard()} (as long as {@code --parallelism} is unchanged). A sink that commits its output
 * for {@code (runId, epoch, shard)} atomically with a marker of that triple, and skips an epoch
 * whose marker it finds, is therefore exactly-once. {@code runId} is stable for the lifetime of
 * the checkpoint directory and different for another directory.
 *
 * <p>Bundles: on MicroBatchRunner each stage task of an epoch is one bundle ({@code @StartBundle} …
 * {@code @FinishBundle}), and each stage runs once per epoch. On RealtimeRunner an epoch is a
 * checkpoint interval of many bundles: a sink that {@link EpochTransactional#commitsAtBarriers()}
 * keeps one transaction open across them and commits it at the barrier through {@link
 * DeferredFlush#deferCommit}; the runner then installs the next epoch on the task's thread ({@link
 * #install}).
 */
public final class EpochInfo {
  private static final ThreadLocal<EpochInfo> CURRENT = new ThreadLocal<>();

  private final String runId;
  private final long epoch;
  private final int shard;
  private final int shards;
  private final boolean replay;
  private final LongAdder sinkCommitNanos;

  /**
   * @param runId id of the checkpointed run (the {@code runId} of the checkpoint's metadata)
   * @param epoch the epoch number, from 0
   * @param shard index of the task within its stage, in {@code [0, shards)}
   * @param shards number of tasks of the stage: {@code --parallelism}
   * @param replay true if the epoch is a replay of a logged but uncommitted epoch
   * @param sinkCommitNanos where sinks add the time spent committing (progress {@code sinkCommit})
   */
  public EpochInfo(
      String runId, long epoch, int shard, int shards, boolean replay, LongAdder sinkCommitNanos) {
    this.runId = runId;
    this.epoch = epoch;
    this.shard = shard;
    this.shards = shards;
    this.replay = replay;
    this.sinkCommitNanos = sinkCommitNanos;
  }

  /**
   * Makes {@code info} the calling thread's {@link #current()} until replaced or {@link
   * #uninstall()}ed; for runners whose task threads live across epochs (RealtimeRunner).
   */
  public static void install(EpochInfo info) {
    CURRENT.set(info);
  }

  /** The calling thread has no epoch any more; for runners. */
  public static void uninstall() {
    CURRENT.remove();
  }

  /** The epoch the calling thread's task processes, or empty outside a checkpointed Beamline run. */
  public static Optional<EpochInfo> current() {
    return Optional.ofNullable(CURRENT.get());
  }

  /**
   * Runs {@code body} with {@code info} as the calling thread's {@link #current()}; for runners.
   *
   * @throws Exception what {@code body} throws
   */
  public static <T> T runWith(EpochInfo info, java.util.concurrent.Callable<T> body)
      throws Exception {
    EpochInfo previous = CURRENT.get();
    CURRENT.set(info);
    try {
      return body.call();
    } finally {
      CURRENT.set(previous);
    }
  }

  public String runId() {
    return runId;
  }

  public long epoch() {
    return epoch;
  }

  public int shard() {
    return shard;
  }

  public int shards() {
    return shards;
  }

  public boolean replay() {
    return replay;
  }

  /** Adds time a sink spent pre-committing and committing this epoch's output, in nanoseconds. */
  public void addSinkCommitNanos(long nanos) {
    sinkCommitNanos.add(nanos);
  }

  @Override
  public String toString() {
    return "epoch " + epoch + " of run " + runId + ", shard " + shard + "/" + shards;
  }
}
