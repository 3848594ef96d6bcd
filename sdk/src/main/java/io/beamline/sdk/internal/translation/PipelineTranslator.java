package io.beamline.sdk.internal.translation;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.Iterables;
import io.beamline.sdk.UnsupportedTransformException;
import io.beamline.sdk.internal.plan.DoFnSpec;
import io.beamline.sdk.internal.plan.ExchangeSpec;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.OperatorSpec;
import io.beamline.sdk.internal.plan.SourceSpec;
import io.beamline.sdk.internal.plan.Stage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.construction.CreatePCollectionViewTranslation;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.util.construction.ParDoTranslation;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.util.construction.TransformInputs;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * Translates a Beam {@link Pipeline} (after {@link PipelineOverrides#apply}) into an {@link
 * ExecutablePlan}: one translator per primitive URN in {@link #translators}, fusion of every step
 * that needs no shuffle into the stage of its input, and a new stage behind an exchange for
 * GroupByKey, stateful ParDo, the final half of a lifted Combine, Flatten and ParDos that read side
 * inputs.
 *
 * <p>Anything else is rejected with an {@link UnsupportedTransformException} naming the transform,
 * before anything runs.
 */
public final class PipelineTranslator {

  /** Translates one primitive transform application. */
  @FunctionalInterface
  private interface PrimitiveTranslator {
    void translate(TransformHierarchy.Node node) throws Exception;
  }

  private final Pipeline pipeline;
  private final boolean bounded;
  private final FusionPolicy fusion;
  private final Map<String, PrimitiveTranslator> translators;
  private final Map<PCollection<?>, Stage> producers = new HashMap<>();
  private final List<Stage> stages = new ArrayList<>();
  private final List<ExchangeSpec> exchanges = new ArrayList<>();
  private final List<String> transactionalSinks = new ArrayList<>();
  private final List<String> sinksNotCommittingAtBarriers = new ArrayList<>();
  private final Map<PCollectionView<?>, Stage> viewProducers = new HashMap<>();
  /** Output of a GroupByKeyIntoKeyedWorkItems → its input, shuffled by ProcessElements. */
  private final Map<PCollection<?>, PCollection<?>> keyedWorkItemInputs = new HashMap<>();

  private PipelineTranslator(Pipeline pipeline, boolean bounded, FusionPolicy fusion) {
    this.pipeline = pipeline;
    this.bounded = bounded;
    this.fusion = fusion;
    this.translators =
        ImmutableMap.<String, PrimitiveTranslator>builder()
            .put(PTransformTranslation.IMPULSE_TRANSFORM_URN, this::impulse)
            .put(PTransformTranslation.READ_TRANSFORM_URN, this::read)
            .put(PTransformTranslation.PAR_DO_TRANSFORM_URN, this::parDo)
            .put(PTransformTranslation.GROUP_BY_KEY_TRANSFORM_URN, this::groupByKey)
            .put(PTransformTranslation.FLATTEN_TRANSFORM_URN, this::flatten)
            .put(PTransformTranslation.ASSIGN_WINDOWS_TRANSFORM_URN, this::assignWindows)
            .put(PTransformTranslation.CREATE_VIEW_TRANSFORM_URN, this::createView)
            .put(PTransformTranslation.TEST_STREAM_TRANSFORM_URN, this::testStream)
            .put(SplittableParDo.SPLITTABLE_GBKIKWI_URN, this::groupIntoKeyedWorkItems)
            .put(SplittableParDo.SPLITTABLE_PROCESS_URN, this::processElements)
            .build();
  }

  /**
   * Translates {@code pipeline}, whose overrides must already have been applied.
   *
   * @throws UnsupportedTransformException if the pipeline uses a transform or feature this
   *     translator cannot execute; the message names the transform
   */
  public static ExecutablePlan translate(Pipeline pipeline) {
    return translate(pipeline, false);
  }

  /**
   * Translates {@code pipeline}, whose overrides must already have been applied, into a plan that
   * runs as one bounded epoch, or as a sequence of epochs if {@code streaming} is true or the
   * pipeline has an unbounded PCollection (a TestStream's, say).
   *
   * @throws UnsupportedTransformException if the pipeline uses a transform or feature this
   *     translator cannot execute; the message names the transform
   */
  public static ExecutablePlan translate(Pipeline pipeline, boolean streaming) {
    return translate(pipeline, streaming, FusionPolicy.FUSE);
  }

  /**
   * Translates as {@link #translate(Pipeline, boolean)} does, fusing steps as {@code fusion} says.
   *
   * @throws UnsupportedTransformException if the pipeline uses a transform or feature this
   *     translator cannot execute; the message names the transform
   */
  public static ExecutablePlan translate(
      Pipeline pipeline, boolean streaming, FusionPolicy fusion) {
    boolean bounded = !streaming && !hasUnboundedPCollection(pipeline);
    PipelineTranslator translator = new PipelineTranslator(pipeline, bounded, fusion);
    pipeline.traverseTopologically(translator.new Visitor());
    return new ExecutablePlan(
        translator.stages, translator.exchanges, bounded, translator.transactionalSinks,
        translator.sinksNotCommittingAtBarriers);
  }

  /**
   * True if the pipeline needs epochs: it has a TestStream (even one whose output a test marked
   * bounded) or any unbounded PCollection (one a test marked unbounded, say).
   */
  /**
   * True if {@code pipeline} must run as a sequence of epochs: {@code streaming} was asked for, or
   * it has a TestStream or an unbounded PCollection. Call before {@link PipelineOverrides#apply},
   * whose overrides depend on it.
   */
  public static boolean needsEpochs(Pipeline pipeline, boolean streaming) {
    return streaming || hasUnboundedPCollection(pipeline);
  }

  private static boolean hasUnboundedPCollection(Pipeline pipeline) {
    boolean[] found = {false};
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            found[0] |= node.getTransform() instanceof TestStream;
          }

          @Override
          public void visitValue(PValue value, TransformHierarchy.Node producer) {
            found[0] |=
                value instanceof PCollection<?> pc
                    && pc.isBounded() == PCollection.IsBounded.UNBOUNDED;
          }
        });
    return found[0];
  }

  private final class Visitor extends Pipeline.PipelineVisitor.Defaults {
    @Override
    public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
      if (bounded && !node.isRootNode() && CombineLifting.isLiftable(node, pipeline.getCoderRegistry())) {
        translateLiftedCombine(node);
        return CompositeBehavior.DO_NOT_ENTER_TRANSFORM;
      }
      return CompositeBehavior.ENTER_TRANSFORM;
    }

    @Override
    public void visitPrimitiveTransform(TransformHierarchy.Node node) {
      String urn = PTransformTranslation.urnForTransformOrNull(node.getTransform());
      PrimitiveTranslator translator = urn == null ? null : translators.get(urn);
      if (translator == null) {
        throw new UnsupportedTransformException(
            node.getFullName(),
            String.format(
                "primitive %s (URN %s) has no translator; supported URNs: %s",
                node.getTransform().getClass().getName(), urn, translators.keySet()));
      }
      try {
        translator.translate(node);
      } catch (UnsupportedTransformException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("Failed to translate " + node.getFullName(), e);
      }
    }
  }

  // ---- primitives ---------------------------------------------------------------------------

  private void impulse(TransformHierarchy.Node node) {
    addSourceStage(new SourceSpec.Impulse(node.getFullName()), onlyOutput(node));
  }

  private void testStream(TransformHierarchy.Node node) {
    addSourceStage(
        new SourceSpec.TestStreamRead(node.getFullName(), (TestStream<?>) node.getTransform()),
        onlyOutput(node));
  }

  /** Remembers the shuffle; the ProcessElements that consumes it builds the keyed stage. */
  private void groupIntoKeyedWorkItems(TransformHierarchy.Node node) {
    if (bounded) {
      throw new UnsupportedTransformException(
          node.getFullName(), "GroupByKeyIntoKeyedWorkItems is only translated in epoch runs");
    }
    keyedWorkItemInputs.put(onlyOutput(node), onlyInput(node));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void processElements(TransformHierarchy.Node node) throws Exception {
    AppliedPTransform<?, ?, ?> application = node.toAppliedPTransform(pipeline);
    PCollection<?> keyedWorkItems = mainInput(application);
    PCollection<?> input = keyedWorkItemInputs.get(keyedWorkItems);
    if (input == null) {
      throw new UnsupportedTransformException(
          node.getFullName(), "ProcessElements must read a GroupByKeyIntoKeyedWorkItems");
    }
    var transform =
        (org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems.ProcessElements)
            node.getTransform();
    Map<TupleTag<?>, PCollection<?>> outputs = new LinkedHashMap<>();
    Map<TupleTag<?>, Coder<?>> outputCoders = new LinkedHashMap<>();
    for (Map.Entry<TupleTag<?>, PCollection<?>> e : node.getOutputs().entrySet()) {
      outputs.put(e.getKey(), e.getValue());
      outputCoders.put(e.getKey(), e.getValue().getCoder());
    }
    KvCoder<?, ?> kvCoder = (KvCoder<?, ?>) input.getCoder();
    ExchangeSpec exchange = newExchange(node.getFullName() + ".keyed", kvCoder.getKeyCoder(), input);
    OperatorSpec spec =
        new OperatorSpec.ProcessElements(
            node.getFullName(),
            transform,
            input,
            outputs,
            outputCoders,
            input.getWindowingStrategy());
    Stage stage = addExchangeStage(exchange, List.of(input), spec);
    dependOnViews(stage, transform.getSideInputs());
    registerOutputs(node, stage);
  }

  private void read(TransformHierarchy.Node node) {
    if (node.getTransform() instanceof SplittableParDo.PrimitiveBoundedRead<?> read) {
      addSourceStage(
          new SourceSpec.BoundedRead(node.getFullName(), read.getSource()), onlyOutput(node));
    } else if (node.getTransform() instanceof SplittableParDo.PrimitiveUnboundedRead<?> read) {
      addSourceStage(
          new SourceSpec.UnboundedRead(node.getFullName(), read.getSource()), onlyOutput(node));
    } else {
      throw new UnsupportedTransformException(
          node.getFullName(), "unknown kind of read: " + node.getTransform());
    }
  }

  private void parDo(TransformHierarchy.Node node) throws Exception {
    AppliedPTransform<?, ?, ?> application = node.toAppliedPTransform(pipeline);
    DoFn<?, ?> fn = ParDoTranslation.getDoFn(application);
    DoFnSignature signature = DoFnSignatures.signatureForDoFn(fn);
    if (signature.processElement().isSplittable()) {
      throw new UnsupportedTransformException(
          node.getFullName(), "splittable DoFn was not expanded by the SDF overrides");
    }
    PCollection<?> input = mainInput(application);
    DoFnSpec spec = doFnSpec(node, application, fn, input);
    if (fn instanceof io.beamline.sdk.io.EpochTransactional transactional
        && transactional.commitsPerEpoch()) {
      transactionalSinks.add(node.getFullName());
      if (!transactional.commitsAtBarriers()) {
        sinksNotCommittingAtBarriers.add(node.getFullName());
      }
    }
    boolean stateful = signature.usesState() || signature.usesTimers();
    if (stateful) {
      if (!(input.getCoder() instanceof KvCoder<?, ?> kvCoder)) {
        throw new UnsupportedTransformException(
            node.getFullName(),
            "a stateful DoFn needs a KV input with a KvCoder, got " + input.getCoder());
      }
      ExchangeSpec exchange = newExchange(node.getFullName() + ".keyed", kvCoder.getKeyCoder(), input);
      Stage stage = addExchangeStage(exchange, List.of(input), new OperatorSpec.StatefulParDo(spec));
      dependOnViews(stage, spec.sideInputs());
      registerOutputs(node, stage);
    } else if (!spec.sideInputs().isEmpty()) {
      ExchangeSpec exchange = newExchange(node.getFullName() + ".input", null, input);
      Stage stage = addExchangeStage(exchange, List.of(input), new OperatorSpec.ParDo(spec));
      dependOnViews(stage, spec.sideInputs());
      registerOutputs(node, stage);
    } else {
      fuse(node, input, new OperatorSpec.ParDo(spec));
    }
  }

  private DoFnSpec doFnSpec(
      TransformHierarchy.Node node,
      AppliedPTransform<?, ?, ?> application,
      DoFn<?, ?> fn,
      PCollection<?> input)
      throws Exception {
    Map<TupleTag<?>, PCollection<?>> outputs = new LinkedHashMap<>();
    Map<TupleTag<?>, Coder<?>> outputCoders = new LinkedHashMap<>();
    for (Map.Entry<TupleTag<?>, PCollection<?>> e : node.getOutputs().entrySet()) {
      PCollection<?> pc = (PCollection<?>) e.getValue();
      outputs.put(e.getKey(), pc);
      outputCoders.put(e.getKey(), pc.getCoder());
    }
    return new DoFnSpec(
        node.getFullName(),
        SerializableUtils.serializeToByteArray(fn),
        input,
        input.getCoder(),
        input.getWindowingStrategy(),
        ParDoTranslation.getMainOutputTag(application),
        ParDoTranslation.getAdditionalOutputTags(application).getAll(),
        outputs,
        outputCoders,
        ParDoTranslation.getSideInputs(application),
        ParDoTranslation.getSideInputMapping(application),
        ParDoTranslation.getSchemaInformation(application));
  }

  private void groupByKey(TransformHierarchy.Node node) {
    PCollection<?> input = onlyInput(node);
    if (!(input.getCoder() instanceof KvCoder<?, ?> kvCoder)) {
      throw new UnsupportedTransformException(
          node.getFullName(), "GroupByKey needs a KvCoder input, got " + input.getCoder());
    }
    ExchangeSpec exchange = newExchange(node.getFullName() + ".keyed", kvCoder.getKeyCoder(), input);
    OperatorSpec gbk =
        new OperatorSpec.GroupByKey(
            node.getFullName(),
            input.getWindowingStrategy(),
            kvCoder.getKeyCoder(),
            kvCoder.getValueCoder(),
            onlyOutput(node));
    registerOutputs(node, addExchangeStage(exchange, List.of(input), gbk));
  }

  private void flatten(TransformHierarchy.Node node) {
    List<PCollection<?>> inputs = new ArrayList<>();
    for (PValue input : node.getInputs().values()) {
      inputs.add((PCollection<?>) input);
    }
    ExchangeSpec exchange = newExchange(
            node.getFullName() + ".inputs", null, inputs.isEmpty() ? onlyOutput(node) : inputs.get(0));
    OperatorSpec flatten = new OperatorSpec.Flatten(node.getFullName(), onlyOutput(node));
    registerOutputs(node, addExchangeStage(exchange, inputs, flatten));
  }

  @SuppressWarnings("unchecked")
  private void assignWindows(TransformHierarchy.Node node) {
    WindowFn<Object, BoundedWindow> windowFn =
        (WindowFn<Object, BoundedWindow>) ((Window.Assign<?>) node.getTransform()).getWindowFn();
    PCollection<?> output = onlyOutput(node);
    if (windowFn == null) {
      windowFn = (WindowFn<Object, BoundedWindow>) output.getWindowingStrategy().getWindowFn();
    }
    fuse(node, onlyInput(node), new OperatorSpec.AssignWindows(node.getFullName(), windowFn, output));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void createView(TransformHierarchy.Node node) throws Exception {
    AppliedPTransform application = node.toAppliedPTransform(pipeline);
    PCollectionView<?> view = CreatePCollectionViewTranslation.getView(application);
    Stage stage =
        fuse(node, onlyInput(node), new OperatorSpec.ViewWriter(node.getFullName(), view, onlyOutput(node)));
    viewProducers.put(view, stage);
    stage.addProducedView(view, onlyInput(node));
  }

  // ---- combiner lifting -----------------------------------------------------------------------

  @SuppressWarnings("unchecked")
  private void translateLiftedCombine(TransformHierarchy.Node node) {
    Combine.PerKey<?, ?, ?> perKey = (Combine.PerKey<?, ?, ?>) node.getTransform();
    Combine.CombineFn<Object, Object, Object> fn =
        (Combine.CombineFn<Object, Object, Object>) perKey.getFn();
    PCollection<?> input = onlyInput(node);
    KvCoder<?, ?> kvCoder = (KvCoder<?, ?>) input.getCoder();
    var timestampCombiner = input.getWindowingStrategy().getTimestampCombiner();
    ExchangeSpec exchange =
        newExchange(
            node.getFullName() + ".accumulators",
            kvCoder.getKeyCoder(),
            KvCoder.of(
                kvCoder.getKeyCoder(),
                CombineLifting.accumulatorCoder(node, pipeline.getCoderRegistry())),
            input.getWindowingStrategy());
    OperatorSpec partial =
        new OperatorSpec.PartialCombine(
            node.getFullName() + "/Partial", fn, timestampCombiner, exchange);
    Stage upstream;
    if (fusion == FusionPolicy.NEVER) { // the partial half in a stage of its own, too
      ExchangeSpec partialInput = newExchange(node.getFullName() + "/Partial.input", null, input);
      upstream = addExchangeStage(partialInput, List.of(input), partial);
    } else {
      upstream = producers.get(input);
      upstream.addFused(input, partial);
    }
    Stage stage =
        Stage.ofExchange(
            stages.size(),
            exchange,
            new OperatorSpec.FinalCombine(
                node.getFullName(), fn, timestampCombiner, onlyOutput(node)));
    stage.addUpstream(upstream);
    stages.add(stage);
    registerOutputs(node, stage);
  }

  // ---- plan building --------------------------------------------------------------------------

  private void addSourceStage(SourceSpec source, PCollection<?> output) {
    Stage stage = Stage.ofSource(stages.size(), source, output);
    stages.add(stage);
    producers.put(output, stage);
  }

  private Stage addExchangeStage(
      ExchangeSpec exchange, List<PCollection<?>> inputs, OperatorSpec root) {
    Stage stage = Stage.ofExchange(stages.size(), exchange, root);
    for (PCollection<?> input : inputs) {
      Stage upstream = producers.get(input);
      upstream.addExchangeOutput(input, exchange);
      stage.addUpstream(upstream);
    }
    stages.add(stage);
    return stage;
  }

  /**
   * Fuses {@code spec} into the stage of its input, or (with {@link FusionPolicy#NEVER}) puts it in
   * a stage of its own behind a forward exchange.
   */
  private Stage fuse(TransformHierarchy.Node node, PCollection<?> input, OperatorSpec spec) {
    if (fusion == FusionPolicy.NEVER) {
      ExchangeSpec exchange = newExchange(node.getFullName() + ".input", null, input);
      Stage stage = addExchangeStage(exchange, List.of(input), spec);
      registerOutputs(node, stage);
      return stage;
    }
    Stage stage = producers.get(input);
    stage.addFused(input, spec);
    registerOutputs(node, stage);
    return stage;
  }

  private void dependOnViews(Stage stage, List<PCollectionView<?>> views) {
    stage.addSideInputs(views);
    for (PCollectionView<?> view : views) {
      Stage producer = viewProducers.get(view);
      if (producer == null) {
        throw new IllegalStateException(
            "Side input " + view + " is read before the transform that creates it");
      }
      stage.addUpstream(producer);
    }
  }

  private ExchangeSpec newExchange(String name, Coder<?> keyCoder, PCollection<?> input) {
    return newExchange(name, keyCoder, input.getCoder(), input.getWindowingStrategy());
  }

  /** A new exchange whose elements are encoded with {@code valueCoder} in their windows. */
  private ExchangeSpec newExchange(
      String name, Coder<?> keyCoder, Coder<?> valueCoder, WindowingStrategy<?, ?> windowing) {
    Coder<?> elementCoder =
        WindowedValues.getFullCoder(valueCoder, windowing.getWindowFn().windowCoder());
    ExchangeSpec spec = new ExchangeSpec(exchanges.size(), name, keyCoder, elementCoder);
    exchanges.add(spec);
    return spec;
  }

  private void registerOutputs(TransformHierarchy.Node node, Stage stage) {
    for (PValue output : node.getOutputs().values()) {
      producers.put((PCollection<?>) output, stage);
      stage.addProducer((PCollection<?>) output, node.getFullName());
    }
  }

  private static PCollection<?> onlyInput(TransformHierarchy.Node node) {
    return (PCollection<?>) Iterables.getOnlyElement(node.getInputs().values());
  }

  private static PCollection<?> onlyOutput(TransformHierarchy.Node node) {
    return (PCollection<?>) Iterables.getOnlyElement(node.getOutputs().values());
  }

  private static PCollection<?> mainInput(AppliedPTransform<?, ?, ?> application) {
    return (PCollection<?>)
        Iterables.getOnlyElement(TransformInputs.nonAdditionalInputs(application));
  }
}
