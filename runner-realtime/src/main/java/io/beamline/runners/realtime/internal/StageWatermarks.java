package io.beamline.runners.realtime.internal;

import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.sideinput.SideInputStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollectionView;
import org.joda.time.Instant;

/**
 * Output watermarks of every task and stage of a real-time run, for what is not carried in-band: the
 * watermark of side inputs. A stage's output watermark is the minimum over its tasks; when the stage
 * produces views, the {@link SideInputStore} learns their new watermark and the tasks of stages
 * reading them are told ({@link Inbox.Signal#SIDE_INPUTS}) so they retry held-back elements. A
 * stage that reads side inputs also takes the watermark of the views' producers as part of its
 * input watermark, as on MicroBatchRunner.
 *
 * <p>Threading: {@link #update} and {@link #viewWatermark} from any task thread (synchronised).
 */
final class StageWatermarks {
  private final Map<Stage, Instant[]> tasks = new HashMap<>();
  private final Map<Stage, Instant> stages = new HashMap<>();
  /** For a view-producing stage: the stages reading one of its views. */
  private final Map<Stage, List<Stage>> viewReaders = new HashMap<>();
  /** For a stage reading side inputs: the stages producing them. */
  private final Map<Stage, List<Stage>> viewProducers = new HashMap<>();
  private final SideInputStore sideInputs;
  private final Topology topology;
  private final int parallelism;

  StageWatermarks(
      ExecutablePlan plan, int parallelism, SideInputStore sideInputs, Topology topology) {
    this.sideInputs = sideInputs;
    this.topology = topology;
    this.parallelism = parallelism;
    for (Stage stage : plan.stages()) {
      Instant[] initial = new Instant[parallelism];
      Arrays.fill(initial, BoundedWindow.TIMESTAMP_MIN_VALUE);
      tasks.put(stage, initial);
      stages.put(stage, BoundedWindow.TIMESTAMP_MIN_VALUE);
    }
    for (Stage reader : plan.stages()) {
      for (Stage producer : reader.upstream()) {
        boolean producesRead = false;
        for (PCollectionView<?> view : producer.producedViews()) {
          producesRead |= reader.sideInputs().contains(view);
        }
        if (producesRead) {
          viewReaders.computeIfAbsent(producer, s -> new ArrayList<>()).add(reader);
          viewProducers.computeIfAbsent(reader, s -> new ArrayList<>()).add(producer);
        }
      }
    }
  }

  /** True when {@code stage} reads side inputs (its input watermark includes their producers'). */
  boolean readsViews(Stage stage) {
    return viewProducers.containsKey(stage);
  }

  /**
   * Task (stage, partition) reached output watermark {@code watermark}; if that moves the stage's,
   * views it produces take it and their readers are told.
   */
  void update(Stage stage, int partition, Instant watermark) {
    List<Stage> notify;
    synchronized (this) {
      Instant[] stageTasks = tasks.get(stage);
      stageTasks[partition] = watermark;
      Instant min = BoundedWindow.TIMESTAMP_MAX_VALUE;
      for (Instant task : stageTasks) {
        min = task.isBefore(min) ? task : min;
      }
      if (!min.isAfter(stages.get(stage))) {
        return;
      }
      stages.put(stage, min);
      for (PCollectionView<?> view : stage.producedViews()) {
        sideInputs.setWatermark(view, min);
      }
      notify = viewReaders.getOrDefault(stage, List.of());
    }
    notifyReaders(notify);
  }

  /** Views produced by {@code stage} got data: their readers retry held-back elements. */
  void viewsWritten(Stage stage) {
    notifyReaders(viewReaders.getOrDefault(stage, List.of()));
  }

  private void notifyReaders(List<Stage> readers) {
    for (Stage reader : readers) {
      for (int p = 0; p < parallelism; p++) {
        topology.inbox(reader, p).control(Inbox.Signal.SIDE_INPUTS);
      }
    }
  }

  /** The minimum output watermark of the stages producing the views {@code stage} reads, or +∞. */
  synchronized Instant viewWatermark(Stage stage) {
    Instant min = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (Stage producer : viewProducers.getOrDefault(stage, List.of())) {
      Instant watermark = stages.get(producer);
      min = watermark.isBefore(min) ? watermark : min;
    }
    return min;
  }

  /** Every stage's output watermark, by stage name (for progress and stuck-run messages). */
  synchronized Map<String, Instant> byStage() {
    Map<String, Instant> all = new java.util.LinkedHashMap<>();
    stages.forEach((stage, watermark) -> all.put(stage.toString(), watermark));
    return all;
  }
}
