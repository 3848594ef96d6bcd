package io.beamline.runners.microbatch.internal;

import io.beamline.sdk.internal.operators.StageTask;
import io.beamline.sdk.internal.operators.TaskContext;
import io.beamline.sdk.internal.plan.ExchangeSpec;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.sideinput.SideInputStore;
import io.beamline.sdk.internal.state.KeyedStateStore;
import io.beamline.sdk.internal.state.RocksDbStore;
import io.beamline.sdk.internal.state.StateSnapshots;
import io.beamline.sdk.io.EpochInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Runs the stages of each epoch, one after another in plan order, and keeps what lives across
 * epochs: every stage partition's {@link StageTask} (operators and DoFn instances are reused for
 * the run), the keyed state of each keyed stage and partition (heap or RocksDB), elements held back
 * for side inputs, side-input views, and every stage's output watermark.
 *
 * <p>Watermarks: a source stage's input watermark is its source's; any other stage's is the
 * minimum of its upstream stages' output watermarks; a stage's output watermark is its input
 * watermark held back by its tasks' holds (state holds of GroupAlsoByWindow, output timestamps of
 * pending timers, held-back elements), computed after the stage ran. Elements of an epoch are
 * judged late against the previous epoch's watermark, because operators process them before the
 * watermark advances.
 *
 * <p>Threading: driver thread; stage tasks run on the runner's pool, one stage at a time.
 */
final class StageScheduler implements AutoCloseable {
  private final ExecutablePlan plan;
  private final StageRunner runner;
  private final @Nullable RocksDbStore rocksDb;
  private final SideInputStore sideInputs = new SideInputStore(false);
  private final Map<ExchangeSpec, Exchange> exchanges;
  private final TaskContext.Shared shared;
  private final Map<Stage, StageTask[]> tasks = new HashMap<>();
  private final Map<Stage, KeyedStateStore[]> keyedState = new HashMap<>();
  private final Map<Stage, List<List<WindowedValue<?>>>> pushedBack = new HashMap<>();
  private final Map<Stage, Instant> outputWatermarks = new HashMap<>();
  /** Records each stage was given in the last epoch, by stage id. */
  private final Map<Integer, Long> stageRecords = new HashMap<>();
  private final StateSnapshots snapshots;

  /**
   * @param rocksDb where keyed state cells live, or null for the heap
   */
  StageScheduler(StageRunner runner, @Nullable RocksDbStore rocksDb) {
    this.plan = runner.plan();
    this.runner = runner;
    this.rocksDb = rocksDb;
    this.exchanges = runner.newExchanges();
    this.shared = runner.shared(false, sideInputs, exchanges);
    this.snapshots =
        new StateSnapshots(
            plan, keyedState, pushedBack, outputWatermarks, sideInputs, this::storesOf,
            this::pushbackOf);
  }

  /** The snapshot of everything this scheduler keeps across epochs. */
  StateSnapshots snapshots() {
    return snapshots;
  }

  /**
   * Runs every stage once over the epoch's input.
   *
   * @param splits per source stage, the splits its tasks read
   * @param sourceWatermark the watermark of a source stage's source after the epoch's read
   * @param infoOf the epoch as partition p's sinks see it, or null
   */
  void runEpoch(
      Map<Stage, List<?>> splits,
      Function<Stage, Instant> sourceWatermark,
      Instant processingTime,
      Instant endProcessingTime,
      IntFunction<@Nullable EpochInfo> infoOf)
      throws Exception {
    for (Stage stage : plan.stages()) {
      Instant watermark =
          stage.source() != null ? sourceWatermark.apply(stage) : upstreamWatermark(stage);
      StageRunner.EpochTime time =
          new StageRunner.EpochTime(watermark, processingTime, endProcessingTime);
      if (stage.source() != null) {
        List<?> stageSplits = splits.get(stage);
        if (!stageSplits.isEmpty()) {
          stageRecords.put(
              stage.id(),
              runner.runStage(
                  stage, exchanges, stageSplits, taskFactory(stage), false, time, infoOf));
        } else {
          stageRecords.put(stage.id(), 0L);
        }
      } else {
        // every partition when it keeps keyed state or has held-back elements to retry
        boolean keyed = stage.inputExchange().isKeyed();
        boolean retry =
            !stage.sideInputs().isEmpty()
                && pushbackOf(stage).stream().anyMatch(b -> !b.isEmpty());
        stageRecords.put(
            stage.id(),
            runner.runStage(
                stage, exchanges, null, taskFactory(stage), keyed || retry, time, infoOf));
        exchanges.get(stage.inputExchange()).clear();
        if (keyed) {
          for (KeyedStateStore store : storesOf(stage)) {
            store.evictIdle();
          }
        }
      }
      outputWatermarks.put(stage, held(stage, watermark));
      for (PCollectionView<?> view : stage.producedViews()) {
        sideInputs.setWatermark(view, outputWatermarks.get(stage));
      }
    }
  }

  private Instant upstreamWatermark(Stage stage) {
    Instant watermark = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (Stage upstream : stage.upstream()) {
      Instant upstreamWatermark =
          outputWatermarks.getOrDefault(upstream, BoundedWindow.TIMESTAMP_MIN_VALUE);
      if (upstreamWatermark.isBefore(watermark)) {
        watermark = upstreamWatermark;
      }
    }
    return watermark;
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
  private StageRunner.TaskFactory taskFactory(Stage stage) {
    StageTask[] stageTasks = tasks.computeIfAbsent(stage, s -> new StageTask[runner.parallelism()]);
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

  private KeyedStateStore[] storesOf(Stage stage) {
    return keyedState.computeIfAbsent(stage, this::newStores);
  }

  private KeyedStateStore[] newStores(Stage stage) {
    KeyedStateStore[] stores = new KeyedStateStore[runner.parallelism()];
    for (int p = 0; p < stores.length; p++) {
      stores[p] =
          rocksDb == null
              ? new KeyedStateStore()
              : KeyedStateStore.rocksDb(
                  rocksDb, stage.id(), p, stage.inputExchange().keyCoder());
    }
    return stores;
  }

  private List<List<WindowedValue<?>>> pushbackOf(Stage stage) {
    return pushedBack.computeIfAbsent(
        stage,
        s -> {
          List<List<WindowedValue<?>>> buffers = new ArrayList<>();
          for (int p = 0; p < runner.parallelism(); p++) {
            buffers.add(new ArrayList<>());
          }
          return buffers;
        });
  }

  /** The records each stage (by id) was given in the last epoch. */
  Map<Integer, Long> stageRecords() {
    return Map.copyOf(stageRecords);
  }

  /** Every stage's output watermark after the last epoch. */
  Map<Stage, Instant> outputWatermarks() {
    return new HashMap<>(outputWatermarks);
  }

  /** The lowest output watermark of any stage, +∞ when there is none. */
  Instant lowWatermark() {
    Instant low = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (Instant watermark : outputWatermarks.values()) {
      if (watermark.isBefore(low)) {
        low = watermark;
      }
    }
    return low;
  }

  /** True when every stage's output watermark is +∞. */
  boolean allAtEndOfTime() {
    for (Instant watermark : outputWatermarks.values()) {
      if (watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The earliest firing time of a pending processing-time timer of any keyed stage, or +∞.
   */
  Instant earliestProcessingTimer() {
    Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (KeyedStateStore[] stores : keyedState.values()) {
      for (KeyedStateStore store : stores) {
        Instant timer = store.earliestProcessingTimer();
        if (timer.isBefore(earliest)) {
          earliest = timer;
        }
      }
    }
    return earliest;
  }

  /** Keys with state or timers over all keyed stages and partitions. */
  long stateKeys() {
    long keys = 0;
    for (KeyedStateStore[] stores : keyedState.values()) {
      for (KeyedStateStore store : stores) {
        keys += store.size();
      }
    }
    return keys;
  }

  /** Non-empty heap state cells, plus RocksDB's estimate of its cells. */
  long stateCells() {
    long cells = rocksDb == null ? 0 : rocksDb.approximateCellCount();
    for (KeyedStateStore[] stores : keyedState.values()) {
      for (KeyedStateStore store : stores) {
        cells += store.cellCount();
      }
    }
    return cells;
  }

  /**
   * Closes every task ({@code @Teardown} of each DoFn instance), also when some fail.
   *
   * @throws Exception the first failure
   */
  @Override
  public void close() throws Exception {
    List<StageTask> all = new ArrayList<>();
    for (StageTask[] stageTasks : tasks.values()) {
      all.addAll(Arrays.asList(stageTasks));
    }
    tasks.clear();
    StageRunner.closeAll(all);
  }
}
