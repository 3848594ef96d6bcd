package io.beamline.sdk.internal.execution;

import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowingStrategy;

/** Factories of the {@link OperatorSpec}s the translator puts into stages, one per primitive. */
public final class Operators {
  private Operators() {}

  /** A stateless ParDo (fused, or the root of a stage when it reads side inputs). */
  public static OperatorSpec parDo(DoFnSpec spec) {
    return new NamedSpec(spec.stepName(), context -> new ParDoOperator(spec, context));
  }

  /** A stateful ParDo; the root of a stage fed by a keyed exchange. */
  public static OperatorSpec statefulParDo(DoFnSpec spec) {
    return new NamedSpec(spec.stepName(), context -> new StatefulParDoOperator(spec, context));
  }

  /** GroupByKey; the root of a stage fed by a keyed exchange. */
  public static OperatorSpec groupByKey(
      String stepName,
      WindowingStrategy<?, ?> windowingStrategy,
      Coder<?> keyCoder,
      Coder<?> valueCoder,
      PCollection<?> output) {
    return new GroupByKeyOperator.Spec(stepName, windowingStrategy, keyCoder, valueCoder, output);
  }

  /** The partial half of a lifted Combine.perKey, writing accumulators into {@code exchange}. */
  public static OperatorSpec partialCombine(
      String stepName,
      CombineFn<Object, Object, Object> fn,
      TimestampCombiner timestampCombiner,
      ExchangeSpec exchange) {
    return new CombineOperators.PartialSpec(stepName, fn, timestampCombiner, exchange);
  }

  /** The final half of a lifted Combine.perKey; the root of a stage fed by a keyed exchange. */
  public static OperatorSpec finalCombine(
      String stepName,
      CombineFn<Object, Object, Object> fn,
      TimestampCombiner timestampCombiner,
      PCollection<?> output) {
    return new CombineOperators.FinalSpec(stepName, fn, timestampCombiner, output);
  }

  /** A splittable DoFn's ProcessElements in an epoch run; the root of a keyed stage. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static OperatorSpec processElements(
      String stepName,
      org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems.ProcessElements<?, ?, ?, ?, ?>
          transform,
      PCollection<?> input,
      java.util.Map<org.apache.beam.sdk.values.TupleTag<?>, PCollection<?>> outputs,
      java.util.Map<org.apache.beam.sdk.values.TupleTag<?>, Coder<?>> outputCoders,
      WindowingStrategy<?, ?> windowingStrategy) {
    return new ProcessElementsOperator.Spec(
        stepName,
        (org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems.ProcessElements) transform,
        input,
        outputs,
        outputCoders,
        windowingStrategy);
  }

  /** Flatten; the root of a stage fed by a forward exchange from all its inputs. */
  public static OperatorSpec flatten(String stepName, PCollection<?> output) {
    return new SimpleOperators.FlattenSpec(stepName, output);
  }

  /** Window.Assign (fused). */
  public static OperatorSpec assignWindows(
      String stepName, WindowFn<Object, BoundedWindow> windowFn, PCollection<?> output) {
    return new SimpleOperators.AssignWindowsSpec(stepName, windowFn, output);
  }

  /** CreatePCollectionView (fused): materialises {@code view}. */
  public static OperatorSpec viewWriter(
      String stepName, PCollectionView<?> view, PCollection<?> output) {
    return new SimpleOperators.ViewWriterSpec(stepName, view, output);
  }

  /** Creates one task's operator. */
  @FunctionalInterface
  private interface Factory {
    Operator create(TaskContext context) throws Exception;
  }

  private record NamedSpec(String stepName, Factory factory) implements OperatorSpec {
    @Override
    public Operator create(TaskContext context) throws Exception {
      return factory.create(context);
    }
  }
}
