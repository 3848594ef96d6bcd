package io.beamline.sdk.internal.operators;

import io.beamline.sdk.BeamlinePipelineOptions;
import io.beamline.sdk.internal.exchange.ExchangeCodec;
import io.beamline.sdk.internal.exchange.ExchangeWriter;
import io.beamline.sdk.internal.exchange.KeyedElement;
import io.beamline.sdk.internal.plan.ExchangeSpec;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.sideinput.SideInputStore;
import io.beamline.sdk.internal.state.KeyedStateStore;
import io.beamline.sdk.internal.translation.FusionPolicy;
import io.beamline.sdk.internal.translation.PipelineOverrides;
import io.beamline.sdk.internal.translation.PipelineTranslator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;

/**
 * Drives one operator alone, as an engine would, for tests (after Flink's {@code
 * OneInputStreamOperatorTestHarness} and Jet's {@code TestSupport}): feed elements, move the
 * watermark and processing time, end bundles, and read what it output.
 *
 * <p>The operator under test is what the translator makes of a transform applied to an input of
 * the given coder and windowing, with fusion off ({@link FusionPolicy#NEVER}), so it is alone in
 * its stage; the harness runs that stage's single partition. Elements go in through the stage's
 * input exchange codec (encoded and decoded, as in a shuffle), outputs are decoded from the
 * exchanges it writes. With {@link Builder#restoreAfterEveryInput}, after every call the bundle
 * ends and the operator's state (keyed store and held-back elements) is snapshotted, the operator
 * closed, and a fresh one created and restored from the snapshot: a test run both ways must see
 * the same outputs. With {@link Restore#FROM_DELTAS}, the first snapshot is whole and every
 * later one a delta of the keys used since ({@link KeyedStateStore#snapshotDelta}); each restore
 * applies the first snapshot and then every delta in order, as recovery from a chain does.
 *
 * <p>Threading: single-threaded, like a task.
 */
public final class OperatorHarness implements AutoCloseable {
  private static final String UNDER_TEST = "UnderTest";

  private final Stage stage;
  private final ExchangeSpec input;
  private final ExchangeCodec inputCodec;
  private final WindowFn<Object, BoundedWindow> windowFn;
  private final boolean restoreAfterEveryInput;
  private final boolean restoreFromDeltas;
  private byte[] base;
  private final List<byte[]> deltas = new ArrayList<>();
  private final TaskContext.Shared shared;
  private final Map<ExchangeSpec, List<WindowedValue<?>>> outputs = new LinkedHashMap<>();
  private final List<WindowedValue<?>> pushedBack = new ArrayList<>();
  private KeyedStateStore store = new KeyedStateStore();
  private StageTask task;
  private Instant watermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant processingTime = new Instant(0);
  private int restores;

  /** Whether and how the operator is snapshotted and restored after every input. */
  public enum Restore {
    /** One operator for the whole test. */
    NEVER,
    /** A whole snapshot, and a fresh operator restored from it. */
    WHOLE,
    /** A delta on the first snapshot, and a fresh operator restored from the chain. */
    FROM_DELTAS
  }

  /** Configures a harness. */
  public static final class Builder {
    private final Coder<?> inputCoder;
    private final java.util.function.Function<Pipeline, PTransform<?, ? extends POutput>> underTest;
    private WindowingStrategy<?, ?> windowing = WindowingStrategy.globalDefault();
    private boolean streaming = true;
    private boolean restoreAfterEveryInput;
    private boolean restoreFromDeltas;
    private Predicate<String> stageRoot = name -> name.startsWith(UNDER_TEST);

    private Builder(
        Coder<?> inputCoder,
        java.util.function.Function<Pipeline, PTransform<?, ? extends POutput>> underTest) {
      this.inputCoder = inputCoder;
      this.underTest = underTest;
    }

    /** The windowing of the input (default: global window, default trigger). */
    public Builder windowing(WindowingStrategy<?, ?> windowing) {
      this.windowing = windowing;
      return this;
    }

    /** Translate for a bounded run (fast paths allowed) instead of a streaming one (default). */
    public Builder bounded() {
      this.streaming = false;
      return this;
    }

    /** Snapshot and restore into a fresh operator after every input (default false). */
    public Builder restoreAfterEveryInput(boolean restore) {
      this.restoreAfterEveryInput = restore;
      return this;
    }

    /** How to snapshot and restore after every input (default {@link Restore#NEVER}). */
    public Builder restore(Restore restore) {
      this.restoreAfterEveryInput = restore != Restore.NEVER;
      this.restoreFromDeltas = restore == Restore.FROM_DELTAS;
      return this;
    }

    /**
     * Which stage to drive when the transform expands into several: the first whose root step's
     * full name matches (default: the first under the transform).
     */
    public Builder stage(Predicate<String> rootStepName) {
      this.stageRoot = rootStepName;
      return this;
    }

    public OperatorHarness build() throws Exception {
      return new OperatorHarness(this);
    }
  }

  /** A harness for {@code underTest} applied to elements of {@code inputCoder}. */
  public static Builder of(Coder<?> inputCoder, PTransform<?, ? extends POutput> underTest) {
    return new Builder(inputCoder, pipeline -> underTest);
  }

  /**
   * A harness for the transform {@code underTest} makes in the harness's pipeline (for transforms
   * that need more of it, such as the side inputs a ParDo reads).
   */
  public static Builder of(
      Coder<?> inputCoder,
      java.util.function.Function<Pipeline, PTransform<?, ? extends POutput>> underTest) {
    return new Builder(inputCoder, underTest);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private OperatorHarness(Builder builder) throws Exception {
    BeamlinePipelineOptions options = PipelineOptionsFactory.as(BeamlinePipelineOptions.class);
    options.setParallelism(1);
    options.setRunner(org.apache.beam.sdk.testing.CrashingRunner.class); // never run: translated only
    options.as(StreamingOptions.class).setStreaming(builder.streaming);
    Pipeline pipeline = Pipeline.create(options);
    PCollection<Object> in =
        pipeline.apply("Input", Create.empty((Coder<Object>) builder.inputCoder));
    in.setWindowingStrategyInternal((WindowingStrategy) builder.windowing);
    POutput out =
        in.apply(
            UNDER_TEST,
            (PTransform<PCollection<Object>, ? extends POutput>)
                builder.underTest.apply(pipeline));
    int capture = 0;
    for (PValue value : out.expand().values()) {
      if (value instanceof PCollection<?> pc) {
        PCollectionList.of((PCollection<Object>) pc)
            .apply("Capture" + capture++, Flatten.pCollections());
      }
    }
    boolean epochs = PipelineTranslator.needsEpochs(pipeline, builder.streaming);
    PipelineOverrides.apply(pipeline, epochs);
    ExecutablePlan plan = PipelineTranslator.translate(pipeline, epochs, FusionPolicy.NEVER);
    this.stage =
        plan.stages().stream()
            .filter(s -> s.root() != null && builder.stageRoot.test(s.root().stepName()))
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException("No stage to test in\n" + plan.describe()));
    this.input = stage.inputExchange();
    this.inputCodec = new ExchangeCodec(input);
    this.windowFn = (WindowFn<Object, BoundedWindow>) builder.windowing.getWindowFn();
    this.restoreAfterEveryInput = builder.restoreAfterEveryInput;
    this.restoreFromDeltas = builder.restoreFromDeltas;
    ExchangeWriter.Factory writers =
        (spec, producer, partition) -> {
          ExchangeCodec codec = new ExchangeCodec(spec);
          List<WindowedValue<?>> captured = outputs.computeIfAbsent(spec, s -> new ArrayList<>());
          return new ExchangeWriter(codec, producer, partition, 1) {
            @Override
            protected void emit(int p, Object record) {
              Object decoded = codec.decode(record);
              captured.add(
                  decoded instanceof KeyedElement keyed
                      ? keyed.value()
                      : (WindowedValue<?>) decoded);
            }

            @Override
            public void flush() {}
          };
        };
    this.shared =
        new TaskContext.Shared(
            options,
            1,
            plan.bounded(),
            writers,
            new SideInputStore(plan.bounded()),
            new AtomicLong(),
            true);
    this.task = newTask();
  }

  private StageTask newTask() throws Exception {
    StageTask created =
        new StageTask(
            stage,
            new TaskContext(shared, stage, 0, input.isKeyed() ? store : null, pushedBack));
    created.open();
    created.context().setProcessingTime(processingTime);
    return created;
  }

  /** Feeds {@code value} with {@code timestamp}, in the windows the input's WindowFn assigns. */
  public OperatorHarness element(Object value, Instant timestamp) throws Exception {
    Collection<BoundedWindow> windows = assignWindows(value, timestamp);
    return element(WindowedValues.of(value, timestamp, windows, PaneInfo.NO_FIRING));
  }

  /** Feeds one element as it would arrive from the stage's input exchange. */
  public OperatorHarness element(WindowedValue<?> value) throws Exception {
    task.processElement(inputCodec.decode(inputCodec.encode(value, "harness")));
    return afterInput();
  }

  /** Moves the input watermark (timers fire). */
  public OperatorHarness watermark(Instant to) throws Exception {
    watermark = to;
    task.advanceInputWatermark(to);
    return afterInput();
  }

  /** Moves processing time (processing-time timers fire). */
  public OperatorHarness processingTime(Instant to) throws Exception {
    processingTime = to;
    task.context().setProcessingTime(to);
    task.advanceProcessingTime(to);
    return afterInput();
  }

  /** Ends the current bundle. */
  public OperatorHarness finishBundle() throws Exception {
    task.finishBundle();
    task.finalizeBundles();
    return this;
  }

  private OperatorHarness afterInput() throws Exception {
    if (restoreAfterEveryInput) {
      snapshotAndRestore();
    }
    return this;
  }

  /**
   * What a checkpoint does: ends the bundle, snapshots the operator's state, closes the operator;
   * then what recovery does: a fresh store restored from the snapshot, a fresh operator.
   */
  public OperatorHarness snapshotAndRestore() throws Exception {
    finishBundle();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    if (input.isKeyed()) {
      if (restoreFromDeltas && base != null) {
        store.snapshotDelta(new DataOutputStream(bytes), input.windowCoder());
        deltas.add(bytes.toByteArray());
      } else {
        store.snapshot(new DataOutputStream(bytes), input.keyCoder(), input.windowCoder());
        base = bytes.toByteArray();
      }
    }
    Instant output = store.outputWatermark();
    List<byte[]> heldBack = new ArrayList<>();
    for (WindowedValue<?> element : pushedBack) {
      heldBack.add(org.apache.beam.sdk.util.CoderUtils.encodeToByteArray((Coder) input.elementCoder(), element));
    }
    task.close();
    store = new KeyedStateStore();
    if (input.isKeyed()) {
      KeyedStateStore[] restored = {store};
      KeyedStateStore.restore(
          new DataInputStream(new ByteArrayInputStream(base)),
          restored,
          input.keyCoder(),
          input.windowCoder());
      for (byte[] delta : deltas) {
        KeyedStateStore.applyDelta(
            new DataInputStream(new ByteArrayInputStream(delta)),
            restored,
            input.keyCoder(),
            input.windowCoder());
      }
      store.outputReached(output);
    }
    pushedBack.clear();
    for (byte[] element : heldBack) {
      pushedBack.add(
          (WindowedValue<?>)
              org.apache.beam.sdk.util.CoderUtils.decodeFromByteArray((Coder) input.elementCoder(), element));
    }
    task = newTask();
    restores++;
    return this;
  }

  /** How many times the operator was restored from a snapshot. */
  public int restores() {
    return restores;
  }

  /** Everything output so far on the first output, oldest first; forgets it. */
  public List<WindowedValue<?>> takeOutput() {
    List<WindowedValue<?>> taken = new ArrayList<>();
    if (!outputs.isEmpty()) {
      List<WindowedValue<?>> first = outputs.values().iterator().next();
      taken.addAll(first);
      first.clear();
    }
    return taken;
  }

  /** The values (without windows) output so far on the first output; forgets them. */
  public List<Object> takeValues() {
    List<Object> values = new ArrayList<>();
    for (WindowedValue<?> value : takeOutput()) {
      values.add(value.getValue());
    }
    return values;
  }

  /** Everything output so far on each output, by exchange name; forgets it. */
  public Map<String, List<WindowedValue<?>>> takeAllOutputs() {
    Map<String, List<WindowedValue<?>>> taken = new LinkedHashMap<>();
    outputs.forEach(
        (spec, values) -> {
          taken.put(spec.name(), new ArrayList<>(values));
          values.clear();
        });
    return taken;
  }

  /** The operator's output watermark: the input watermark held back by its holds. */
  public Instant outputWatermark() {
    Instant hold = task.outputWatermarkHold();
    return hold.isBefore(watermark) ? hold : watermark;
  }

  /** Elements the operator holds back for side inputs. */
  public List<WindowedValue<?>> pushedBack() {
    return pushedBack;
  }

  /** The views the stage writes. */
  public java.util.Set<org.apache.beam.sdk.values.PCollectionView<?>> producedViews() {
    return stage.producedViews();
  }

  /** The side inputs written by the stage. */
  public SideInputStore sideInputs() {
    return shared.sideInputs();
  }

  /** Keys with state or timers. */
  public int stateKeys() {
    return store.size();
  }

  private Collection<BoundedWindow> assignWindows(Object value, Instant timestamp)
      throws Exception {
    return windowFn.assignWindows(
        windowFn.new AssignContext() {
          @Override
          public Object element() {
            return value;
          }

          @Override
          public Instant timestamp() {
            return timestamp;
          }

          @Override
          public BoundedWindow window() {
            return org.apache.beam.sdk.transforms.windowing.GlobalWindow.INSTANCE;
          }
        });
  }

  @Override
  public void close() throws Exception {
    task.close();
  }
}
