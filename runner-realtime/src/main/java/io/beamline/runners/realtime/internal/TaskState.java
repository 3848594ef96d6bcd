package io.beamline.runners.realtime.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.sideinput.SideInputStore;
import io.beamline.sdk.internal.state.KeyedStateStore;
import io.beamline.sdk.internal.state.StateSnapshots;
import java.util.List;
import org.apache.beam.sdk.values.WindowedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * What one task of a real-time run keeps across bundles, and encodes at a checkpoint barrier: its
 * keyed store, its elements held back for side inputs, and what it wrote to the side-input views its
 * stage produces ({@link StateSnapshots#image}).
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

  /**
   * @param keyed the partition's keyed state, or null for a stage without keyed state
   * @param pushedBack the partition's elements held back for side inputs, or null for a stage
   *     without side inputs
   */
  TaskState(
      Stage stage,
      int partition,
      @Nullable KeyedStateStore keyed,
      @Nullable List<WindowedValue<?>> pushedBack,
      SideInputStore sideInputs) {
    this.stage = stage;
    this.partition = partition;
    this.keyed = keyed;
    this.pushedBack = pushedBack;
    this.sideInputs = sideInputs;
  }

  /** The keyed store, or null. */
  @Nullable KeyedStateStore keyed() {
    return keyed;
  }

  /**
   * Forgets idle keys and encodes the task's state at a barrier.
   *
   * @param outputWatermark the task's output watermark at the barrier
   * @throws IllegalStateException if the state cannot be encoded, naming the stage
   */
  StateSnapshots.PartitionImage atBarrier(boolean delta, Instant outputWatermark) throws Exception {
    if (keyed != null) {
      keyed.evictIdle();
    }
    return image(delta, outputWatermark);
  }

  private StateSnapshots.PartitionImage image(boolean delta, Instant outputWatermark)
      throws Exception {
    return StateSnapshots.image(
        stage, partition, delta, keyed, pushedBack, sideInputs, outputWatermark);
  }

  /**
   * The state the task ended with, for every checkpoint after its end.
   *
   * @param sourceRecords records the task emitted as a source task, -1 for a task of no source
   * @param positions a source task's split positions at its end, or null
   * @param outputWatermark the task's output watermark at its end
   */
  CheckpointCoordinator.FinalState finalState(
      long sourceRecords, @Nullable List<ObjectNode> positions, Instant outputWatermark) {
    return new CheckpointCoordinator.FinalState(sourceRecords, positions) {
      @Override
      StateSnapshots.PartitionImage image(boolean delta) throws Exception {
        return TaskState.this.image(delta, outputWatermark);
      }
    };
  }
}
