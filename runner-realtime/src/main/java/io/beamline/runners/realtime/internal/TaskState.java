package io.beamline.runners.realtime.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.sideinput.SideInputStore;
import io.beamline.sdk.internal.state.KeyedStateStore;
import io.beamline.sdk.internal.state.RocksDbStore;
import io.beamline.sdk.internal.state.StateSnapshots;
import io.beamline.sdk.io.DeferredFlush;
import io.beamline.sdk.io.EpochInfo;
import java.util.List;
import org.apache.beam.sdk.values.WindowedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * What one task of a real-time run keeps across bundles, and its side of the run's checkpoints: at
 * a barrier it encodes its keyed store, its elements held back for side inputs and what it wrote to
 * the side-input views its stage produces ({@link StateSnapshots#image}), commits its sinks' epoch
 * and acks ({@link #atBarrier}); when its input ends it hands its final state to the coordinator
 * ({@link #finish}).
 *
 * <p>A task whose keyed state is in RocksDB writes it through its own {@link RocksDbStore.Overlay}
 * in a run with checkpoints, and applies it at each barrier: barrier N comes only once checkpoint
 * N-1 is written, so RocksDB holds every task's writes up to its barrier N, and none after it, by
 * the time every task has acked N and the coordinator checkpoints RocksDB.
 *
 * <p>Threading: the task's thread; once the task has ended, the checkpoint coordinator's (the state
 * no longer changes then, and the coordinator's lock orders the hand-over).
 */
final class TaskState {
  private final Stage stage;
  private final int partition;
  private final @Nullable KeyedStateStore keyed;
  private final @Nullable List<WindowedValue<?>> pushedBack;
  private final SideInputStore sideInputs;
  private final @Nullable CheckpointCoordinator checkpoints;
  /** The run's RocksDB, if this task keeps keyed state there in a run with checkpoints. */
  private final @Nullable RocksDbStore rocksDb;
  /** This task's writes to {@link #rocksDb} since its last barrier (from {@link #start}). */
  private RocksDbStore.@Nullable Overlay overlay;

  /**
   * @param keyed the partition's keyed state, or null for a stage without keyed state
   * @param pushedBack the partition's elements held back for side inputs, or null for a stage
   *     without side inputs
   * @param checkpoints the run's checkpoint coordinator, or null for a run without checkpoints
   * @param rocksDb the RocksDB holding {@code keyed}'s cells, or null for heap state
   */
  TaskState(
      Stage stage,
      int partition,
      @Nullable KeyedStateStore keyed,
      @Nullable List<WindowedValue<?>> pushedBack,
      SideInputStore sideInputs,
      @Nullable CheckpointCoordinator checkpoints,
      @Nullable RocksDbStore rocksDb) {
    this.stage = stage;
    this.partition = partition;
    this.keyed = keyed;
    this.pushedBack = pushedBack;
    this.sideInputs = sideInputs;
    this.checkpoints = checkpoints;
    this.rocksDb = keyed == null || checkpoints == null ? null : rocksDb;
  }

  /** The keyed store, or null. */
  @Nullable KeyedStateStore keyed() {
    return keyed;
  }

  /**
   * On the task's thread, before it opens its operators, in a run with checkpoints: installs the
   * first epoch for the task's exactly-once sinks and, for RocksDB state, the task's overlay.
   */
  void start() {
    if (checkpoints != null) {
      EpochInfo.install(checkpoints.epochInfo(checkpoints.firstEpoch(), partition));
    }
    if (rocksDb != null) {
      overlay = rocksDb.overlayThisThread();
    }
  }

  /**
   * Takes checkpoint {@code barrier.epoch()} once the task has processed everything before the
   * barrier and ended its bundle: forgets idle keys, encodes the state, sends the barrier on every
   * output channel (behind everything of its epoch), flushes the at-least-once sinks, commits the
   * exactly-once ones (once the epoch's offsets are durable) and acks; then installs the next epoch
   * for the sinks ({@link EpochInfo}).
   *
   * @param sourceRecords records the task emitted as a source task so far
   * @param positions a source task's split positions ({@link UnboundedSplits#checkpoint}), or null
   * @throws IllegalStateException if the state cannot be encoded, naming the stage
   */
  void atBarrier(
      Channel.Barrier barrier,
      long sourceRecords,
      @Nullable List<ObjectNode> positions,
      Instant outputWatermark,
      List<Channel> outputs,
      DeferredFlush sinks)
      throws Exception {
    long epoch = barrier.epoch();
    if (keyed != null) {
      keyed.evictIdleAmongUsed(); // the image below is a snapshot: only used keys can be idle
    }
    StateSnapshots.PartitionImage image = image(barrier.delta(), outputWatermark);
    if (stage.source() != null) {
      // before the barrier goes on: offsets/N must never wait for a task that waits for offsets/N
      checkpoints.sourceAck(
          new CheckpointCoordinator.SourceAck(stage, partition, epoch, sourceRecords, positions));
    }
    for (Channel output : outputs) {
      output.put(barrier);
    }
    if (overlay != null) {
      overlay.apply(); // checkpoint N-1 is written, N waits for this ack: RocksDB takes N's writes
    }
    sinks.flushAll();
    commitEpoch(epoch, sinks);
    checkpoints.ack(new CheckpointCoordinator.Ack(stage, partition, epoch, image));
    EpochInfo.install(checkpoints.epochInfo(epoch + 1, partition));
  }

  /**
   * The task's input ended (in a run with checkpoints): a source task's end positions go to the
   * coordinator, the open epoch's transactions commit once its offsets are durable, and then the
   * task's final state stands in for it at every later barrier (its RocksDB overlay goes to
   * RocksDB as soon as no checkpoint it acked is still being written).
   */
  void finish(
      long sourceRecords,
      @Nullable List<ObjectNode> positions,
      Instant outputWatermark,
      DeferredFlush sinks)
      throws Exception {
    if (checkpoints == null) {
      return;
    }
    if (stage.source() != null) {
      checkpoints.sourceEnded(stage, partition, sourceRecords, positions);
    }
    commitEpoch(EpochInfo.current().orElseThrow().epoch(), sinks);
    checkpoints.finished(stage, partition, delta -> image(delta, outputWatermark), overlay);
  }

  /** Commits the sinks' output of {@code epoch} in two phases, around its offsets becoming durable. */
  private void commitEpoch(long epoch, DeferredFlush sinks) throws Exception {
    if (sinks.hasCommits()) {
      sinks.preCommitAll();
      checkpoints.awaitOffsetsLogged(epoch);
      sinks.commitAll();
    }
  }

  private StateSnapshots.PartitionImage image(boolean delta, Instant outputWatermark)
      throws Exception {
    return StateSnapshots.image(
        stage, partition, delta, keyed, pushedBack, sideInputs, outputWatermark);
  }
}
