package io.beamline.runners.realtime.internal;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.beamline.sdk.internal.exchange.ByteKey;
import io.beamline.sdk.internal.exchange.Partitioning;
import io.beamline.sdk.internal.state.RocksDbStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;
import io.beamline.sdk.internal.checkpoint.UnboundedSplitLog;
import io.beamline.sdk.internal.metrics.RunMetrics;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.SourceSpec;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.sideinput.SideInputStore;
import io.beamline.sdk.internal.state.KeyedStateStore;
import io.beamline.sdk.internal.state.StateSnapshots;
import io.beamline.sdk.internal.translation.PipelineOverrides;
import io.beamline.sdk.internal.translation.PipelineTranslator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.beam.sdk.values.WindowedValue;
import org.junit.Test;

/**
 * Barrier checkpoints in memory: a streaming count per key over an endless source and a bounded one,
 * two partitions, so every counting task aligns barriers from four channels, one of which ends early.
 * Each checkpoint must be a consistent cut: restored (base plus deltas), the counts in it add up to
 * exactly the records the sources had emitted when they took its barrier: a record of the epoch
 * after it in the state, or one of its epoch missing, breaks the sum. The split positions logged
 * with it must resume readers right after those records, and count what was read since the last
 * checkpoint. Records must keep flowing between checkpoints (the sources' counts grow).
 */
public class BarrierCheckpointTest {
  private static final int PARALLELISM = 2;
  private static final int BOUNDED = 500;
  private static final int CHECKPOINTS = 8;

  /** Counts elements per key in a value state; emits nothing. */
  private static final class CountPerKey extends DoFn<KV<Long, Long>, Void> {
    @StateId("count")
    private final StateSpec<ValueState<Long>> count = StateSpecs.value(VarLongCoder.of());

    @ProcessElement
    public void process(@StateId("count") ValueState<Long> count) {
      Long before = count.read();
      count.write(before == null ? 1 : before + 1);
    }
  }

  private static PipelineOptions options(String... more) {
    List<String> args = new ArrayList<>(List.of("--streaming=true"));
    args.addAll(List.of(more));
    PipelineOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).create();
    options.setRunner(CrashingRunner.class); // run by the engine directly
    return options;
  }

  private static ExecutablePlan plan(PipelineOptions options) {
    Pipeline p = Pipeline.create(options);
    PCollection<Long> endless = p.apply("Endless", GenerateSequence.from(0));
    PCollection<Long> bounded =
        p.apply("Bounded", Create.of(LongStream.range(0, BOUNDED).boxed().toList()));
    PCollectionList.of(endless)
        .and(bounded)
        .apply(Flatten.pCollections())
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(x -> KV.of(x % 13, x)))
        .apply("Count", ParDo.of(new CountPerKey()));
    PipelineOverrides.apply(p, true);
    return PipelineTranslator.translate(p, true);
  }

  /** Runs the plan until {@link #CHECKPOINTS} checkpoints, each also handed to {@code onCompleted}. */
  private static List<CheckpointCoordinator.Checkpoint> runUntilCheckpoints(
      PipelineOptions options, ExecutablePlan plan, CheckpointedBy onCompleted) throws Exception {
    RealtimeEngine engine =
        new RealtimeEngine(
            plan,
            options,
            PARALLELISM,
            new RunMetrics(),
            new RunControl.Settings(1000, 1000, 64),
            false,
            60_000,
            null);
    List<CheckpointCoordinator.Checkpoint> taken = new CopyOnWriteArrayList<>();
    engine.enableCheckpoints(
        20,
        1,
        new CheckpointCoordinator.Listener() {
          @Override
          public boolean nextIsDelta(long epoch) {
            return epoch % 3 != 1; // bases at 1, 4, 7; deltas between
          }

          @Override
          public void completed(CheckpointCoordinator.Checkpoint checkpoint) throws Exception {
            onCompleted.accept(engine, checkpoint);
            taken.add(checkpoint);
            if (taken.size() == CHECKPOINTS) {
              engine.stop();
            }
          }
        });
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread driver =
        new Thread(
            () -> {
              try {
                engine.execute();
              } catch (Throwable t) {
                failure.set(t);
              }
            });
    driver.start();
    driver.join(120_000);
    assertFalse("the run did not stop after " + CHECKPOINTS + " checkpoints", driver.isAlive());
    assertNull(failure.get());
    assertEquals(CHECKPOINTS, taken.size());
    return taken;
  }

  /** What a test does with a checkpoint when every task acked it (on the coordinator's thread). */
  private interface CheckpointedBy {
    void accept(RealtimeEngine engine, CheckpointCoordinator.Checkpoint checkpoint) throws Exception;
  }

  /** The source stage of the endless read, or of the keyed count. */
  private static Stage stage(ExecutablePlan plan, boolean endless) {
    for (Stage stage : plan.stages()) {
      if (endless
          ? stage.source() instanceof SourceSpec.UnboundedRead
          : stage.inputExchange() != null && stage.inputExchange().isKeyed()) {
        return stage;
      }
    }
    throw new AssertionError("no such stage");
  }

  @Test
  public void everyCheckpointIsAConsistentCutAndRecordsFlowBetweenThem() throws Exception {
    PipelineOptions options = options();
    ExecutablePlan plan = plan(options);
    List<CheckpointCoordinator.Checkpoint> taken =
        runUntilCheckpoints(options, plan, (engine, checkpoint) -> {});

    Stage endless = stage(plan, true);
    Stage counting = stage(plan, false);
    Restored restored = new Restored(plan);
    long lastRecords = 0;
    for (CheckpointCoordinator.Checkpoint checkpoint : taken) {
      assertEquals(checkpoint.epoch() % 3 != 1, checkpoint.delta());
      restored.apply(checkpoint);
      long records = checkpoint.sourceRecords().get(endless.id());
      assertThat("records flow between checkpoints", records, greaterThan(lastRecords));
      JsonNode splits = checkpoint.sources().path(Integer.toString(endless.id())).path("splits");
      assertEquals(PARALLELISM, splits.size());
      long sinceLast = 0;
      long resumedAfter = 0;
      for (JsonNode split : splits) {
        sinceLast += split.path("records").asLong();
        resumedAfter += readBeforeMark(split, options);
      }
      assertEquals("records since the last checkpoint", records - lastRecords, sinceLast);
      assertEquals("records before the logged marks", records, resumedAfter);
      lastRecords = records;
      assertEquals(
          "counts at checkpoint " + checkpoint.epoch(),
          records + BOUNDED,
          restored.totalCount(counting));
    }
    assertTrue(taken.get(CHECKPOINTS - 1).keys() > 0);
  }

  /**
   * With RocksDB state each task writes through its overlay from its barrier on, so the RocksDB
   * checkpoint taken when every task acked (as {@code EpochCommitter} takes it) holds each count
   * exactly as it was at its task's barrier: the counts add up to the records emitted before it.
   */
  @Test
  public void withRocksDbEveryRocksDbCheckpointIsAConsistentCut() throws Exception {
    PipelineOptions options = options("--stateBackend=rocksdb");
    ExecutablePlan plan = plan(options);
    Path dir = Files.createTempDirectory("barrier-rocksdb-");
    try {
      List<CheckpointCoordinator.Checkpoint> taken =
          runUntilCheckpoints(
              options,
              plan,
              (engine, checkpoint) ->
                  engine.rocksDb().checkpoint(dir.resolve(Long.toString(checkpoint.epoch()))));
      Stage endless = stage(plan, true);
      Stage counting = stage(plan, false);
      long lastRecords = 0;
      for (CheckpointCoordinator.Checkpoint checkpoint : taken) {
        long records = checkpoint.sourceRecords().get(endless.id());
        assertThat("records flow between checkpoints", records, greaterThan(lastRecords));
        lastRecords = records;
        Path copy = dir.resolve("restored-" + checkpoint.epoch());
        try (RocksDbStore restored =
            RocksDbStore.restore(dir.resolve(Long.toString(checkpoint.epoch())), copy)) {
          assertEquals(
              "counts in the RocksDB checkpoint of epoch " + checkpoint.epoch(),
              records + BOUNDED,
              totalCount(restored, counting));
        }
      }
    } finally {
      MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
    }
  }

  /** The counts of keys 0 to 12 in a RocksDB copy, each read in the store of its partition. */
  @SuppressWarnings("unchecked")
  private static long totalCount(RocksDbStore db, Stage counting) throws Exception {
    Coder<Object> keyCoder = (Coder<Object>) counting.inputExchange().keyCoder();
    long total = 0;
    for (long key = 0; key < 13; key++) {
      ByteKey encoded = new ByteKey(CoderUtils.encodeToByteArray(keyCoder, key));
      KeyedStateStore store =
          KeyedStateStore.rocksDb(
              db, counting.id(), Partitioning.partitionOf(encoded, PARALLELISM), keyCoder);
      total += count(store.get(encoded, key));
    }
    return total;
  }

  /** The count {@link CountPerKey} keeps for one key, 0 if none. */
  private static long count(KeyedStateStore.KeyState key) {
    Long count =
        key.state()
            .state(
                StateNamespaces.window(GlobalWindow.Coder.INSTANCE, GlobalWindow.INSTANCE),
                StateTags.value("count", VarLongCoder.of()))
            .read();
    return count == null ? 0 : count;
  }

  /**
   * How many records a logged counting split had emitted at its end mark: a reader resumed there
   * starts at the value after them (values of a split are first, first + stride, …).
   */
  private static long readBeforeMark(JsonNode split, PipelineOptions options) throws Exception {
    UnboundedSource<Object, UnboundedSource.CheckpointMark> source =
        UnboundedSplitLog.subSource(split, "Endless");
    UnboundedSource.UnboundedReader<Object> fresh = source.createReader(options, null);
    assertTrue(fresh.start());
    long first = (Long) fresh.getCurrent();
    assertTrue(fresh.advance());
    long stride = (Long) fresh.getCurrent() - first;
    UnboundedSource.CheckpointMark mark =
        UnboundedSplitLog.decode(
            source.getCheckpointMarkCoder(), UnboundedSplitLog.mark(split, "end"));
    UnboundedSource.UnboundedReader<Object> resumed = source.createReader(options, mark);
    assertTrue(resumed.start());
    return ((Long) resumed.getCurrent() - first) / stride;
  }

  /** A run's structures restored from a chain of checkpoints. */
  private static final class Restored {
    private final Map<Stage, KeyedStateStore[]> keyed = new HashMap<>();
    private final Map<Stage, List<List<WindowedValue<?>>>> pushedBack = new HashMap<>();
    private final ExecutablePlan plan;
    private StateSnapshots snapshots;

    Restored(ExecutablePlan plan) {
      this.plan = plan;
    }

    void apply(CheckpointCoordinator.Checkpoint checkpoint) throws Exception {
      if (!checkpoint.delta()) {
        keyed.clear();
        pushedBack.clear();
        snapshots =
            new StateSnapshots(
                plan,
                keyed,
                pushedBack,
                new HashMap<>(),
                SideInputStore.readyByWatermarkIfBounded(),
                this::storesOf,
                stage -> pushedBack.computeIfAbsent(stage, s -> new ArrayList<>(List.of(new ArrayList<>()))));
        snapshots.restore(checkpoint.heap());
      } else {
        snapshots.applyDelta(checkpoint.heap());
      }
    }

    private KeyedStateStore[] storesOf(Stage stage) {
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

    long totalCount(Stage stage) {
      long total = 0;
      for (KeyedStateStore store : storesOf(stage)) {
        for (KeyedStateStore.KeyState key : store.all()) {
          total += count(key);
        }
      }
      return total;
    }
  }
}
