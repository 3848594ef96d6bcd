package io.beamline.sdk.internal.state;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.beamline.sdk.internal.exchange.ByteKey;
import io.beamline.sdk.internal.exchange.Partitioning;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.sideinput.SideInputStore;
import io.beamline.sdk.internal.translation.PipelineOverrides;
import io.beamline.sdk.internal.translation.PipelineTranslator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;
import org.junit.Test;

/**
 * Images taken task by task at a barrier ({@link StateSnapshots#image}) put together by {@link
 * StateSnapshots#assemble} give exactly the bytes {@link StateSnapshots#write} and {@link
 * StateSnapshots#writeDelta} give for the same state: RealtimeRunner's snapshots are
 * MicroBatchRunner's, so either runner resumes from the other's checkpoint.
 */
public class PartitionImagesTest {
  private static final int PARALLELISM = 3;
  private static final StateTag<ValueState<Long>> COUNT =
      StateTags.value("count", VarLongCoder.of());

  private final ExecutablePlan plan = plan();
  private final Stage keyedStage = only(plan, s -> s.inputExchange() != null && s.inputExchange().isKeyed());
  private final Stage readsView = only(plan, s -> !s.sideInputs().isEmpty());
  private final Stage producesView = only(plan, s -> !s.producedViews().isEmpty());

  private static ExecutablePlan plan() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class); // translated only
    Pipeline p = Pipeline.create(options);
    PCollection<KV<String, Long>> input =
        p.apply("Input", Create.of(KV.of("a", 1L), KV.of("b", 2L)));
    PCollectionView<List<Long>> view =
        p.apply("Side", Create.of(1L, 2L, 3L)).apply("AsList", View.asList());
    input.apply("Group", GroupByKey.create());
    input.apply(
        "ReadSide",
        ParDo.of(
                new DoFn<KV<String, Long>, Long>() {
                  @ProcessElement
                  public void process(ProcessContext c) {
                    c.output((long) c.sideInput(view).size());
                  }
                })
            .withSideInputs(view));
    PipelineOverrides.apply(p);
    return PipelineTranslator.translate(p, true);
  }

  private static Stage only(ExecutablePlan plan, java.util.function.Predicate<Stage> test) {
    List<Stage> found = plan.stages().stream().filter(test).toList();
    assertEquals(plan.describe(), 1, found.size());
    return found.get(0);
  }

  /** The state of one run, built the same way every time. */
  private final class Run {
    final Map<Stage, KeyedStateStore[]> keyed = new LinkedHashMap<>();
    final Map<Stage, List<List<WindowedValue<?>>>> pushedBack = new LinkedHashMap<>();
    final Map<Stage, Instant> outputWatermarks = new HashMap<>();
    final Map<Stage, Instant[]> taskWatermarks = new HashMap<>();
    final SideInputStore sideInputs = SideInputStore.readyByWatermarkIfBounded();
    final StateSnapshots snapshots =
        new StateSnapshots(
            plan, keyed, pushedBack, outputWatermarks, sideInputs, this::storesOf, this::buffersOf);

    Run() throws Exception {
      storesOf(keyedStage);
      buffersOf(readsView);
      for (String key : List.of("a", "b", "c", "d", "e", "f", "g")) {
        count(key).write((long) key.charAt(0));
      }
      buffersOf(readsView).get(1).add(WindowedValues.valueInGlobalWindow(KV.of("held", 7L)));
      buffersOf(readsView).get(2).add(WindowedValues.valueInGlobalWindow(KV.of("back", 8L)));
      PCollectionView<?> view = producesView.producedViews().iterator().next();
      sideInputs.append(view, 2, List.of(WindowedValues.valueInGlobalWindow(3L)));
      sideInputs.append(view, 0, List.of(WindowedValues.valueInGlobalWindow(1L)));
      sideInputs.append(view, 0, List.of(WindowedValues.valueInGlobalWindow(2L)));
      for (Stage stage : plan.stages()) {
        Instant[] tasks = new Instant[PARALLELISM];
        for (int p = 0; p < PARALLELISM; p++) {
          tasks[p] = new Instant(1_000L * (stage.id() + 1) + 10L * ((p + 1) % PARALLELISM));
        }
        taskWatermarks.put(stage, tasks);
        outputWatermarks.put(stage, new Instant(1_000L * (stage.id() + 1))); // the minimum
      }
      sideInputs.setWatermark(view, outputWatermarks.get(producesView));
    }

    /** Changes some keys (a delta's worth) and the held-back elements. */
    void change() throws Exception {
      count("a").write(100L);
      count("e").clear();
      count("z").write(26L);
      buffersOf(readsView).get(0).add(WindowedValues.valueInGlobalWindow(KV.of("new", 9L)));
    }

    ValueState<Long> count(String key) throws Exception {
      byte[] encoded = CoderUtils.encodeToByteArray(StringUtf8Coder.of(), key);
      int partition = Partitioning.partitionOf(new ByteKey(encoded), PARALLELISM);
      return storesOf(keyedStage)[partition]
          .get(new ByteKey(encoded), key)
          .state()
          .state(StoreFixtures.GLOBAL, COUNT);
    }

    KeyedStateStore[] storesOf(Stage stage) {
      return keyed.computeIfAbsent(
          stage,
          s -> {
            KeyedStateStore[] stores = new KeyedStateStore[PARALLELISM];
            for (int p = 0; p < PARALLELISM; p++) {
              stores[p] = new KeyedStateStore();
            }
            return stores;
          });
    }

    List<List<WindowedValue<?>>> buffersOf(Stage stage) {
      return pushedBack.computeIfAbsent(
          stage,
          s -> {
            List<List<WindowedValue<?>>> buffers = new ArrayList<>();
            for (int p = 0; p < PARALLELISM; p++) {
              buffers.add(new ArrayList<>());
            }
            return buffers;
          });
    }

    /** Every task's image, as each task takes it at the barrier, put together. */
    byte[] assembled(boolean delta) throws Exception {
      return snapshots.assemble(images(p -> delta));
    }

    /** Every task's image, partition p's a delta if {@code deltaAt} says so. */
    Map<Stage, StateSnapshots.PartitionImage[]> images(java.util.function.IntPredicate deltaAt)
        throws Exception {
      Map<Stage, StateSnapshots.PartitionImage[]> images = new HashMap<>();
      for (Stage stage : plan.stages()) {
        StateSnapshots.PartitionImage[] parts = new StateSnapshots.PartitionImage[PARALLELISM];
        for (int p = 0; p < PARALLELISM; p++) {
          parts[p] =
              StateSnapshots.image(
                  stage,
                  p,
                  deltaAt.test(p),
                  keyed.containsKey(stage) ? keyed.get(stage)[p] : null,
                  pushedBack.containsKey(stage) ? pushedBack.get(stage).get(p) : null,
                  sideInputs,
                  taskWatermarks.get(stage)[p]);
        }
        images.put(stage, parts);
      }
      return images;
    }
  }

  @Test
  public void assembledBaseAndDeltaAreTheBytesWriteGives() throws Exception {
    Run written = new Run();
    Run imaged = new Run();
    byte[] base = written.snapshots.write();
    assertArrayEquals(base, imaged.assembled(false));

    written.change();
    imaged.change();
    byte[] delta = written.snapshots.writeDelta();
    assertArrayEquals(delta, imaged.assembled(true));

    Run restored = new Run();
    restored.keyed.clear();
    restored.pushedBack.clear();
    restored.sideInputs.clear(producesView.producedViews());
    restored.snapshots.restore(base);
    restored.snapshots.applyDelta(delta);
    assertEquals(Long.valueOf(100L), restored.count("a").read());
    assertEquals(Long.valueOf(26L), restored.count("z").read());
    assertEquals(null, restored.count("e").read());
    int held = 0;
    for (List<WindowedValue<?>> buffer : restored.buffersOf(readsView)) {
      held += buffer.size();
    }
    assertEquals(3, held);
  }

  @Test
  public void aRestoredViewHoldsTheElementsOfEveryTask() throws Exception {
    Run run = new Run();
    byte[] assembled = run.assembled(false);
    Run restored = new Run();
    restored.sideInputs.clear(producesView.producedViews());
    restored.keyed.clear();
    restored.pushedBack.clear();
    restored.snapshots.restore(assembled);
    PCollectionView<?> view = producesView.producedViews().iterator().next();
    // all three, restored as partition 0's (the parallelism may have changed)
    assertEquals(
        3, restored.sideInputs.encodedPartition(view, producesView.viewInput(view), 0).size());
  }

  @Test
  public void imagesOfMixedKindsAreRefused() throws Exception {
    Run run = new Run();
    Map<Stage, StateSnapshots.PartitionImage[]> images = run.images(p -> p == 1);
    assertThrows(IllegalArgumentException.class, () -> run.snapshots.assemble(images));
  }
}
