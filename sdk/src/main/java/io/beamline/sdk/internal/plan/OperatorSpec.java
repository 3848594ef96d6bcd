package io.beamline.sdk.internal.plan;

import java.util.Map;
import org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * One step of a stage, as plain data taken from the pipeline at translation time: which primitive
 * and its parameters. The operators that execute them are made by the engine-neutral operator
 * factory, one table from spec type to operator; specs are immutable and shared by every task.
 */
public sealed interface OperatorSpec {

  /** Full name of the Beam transform this step executes; metrics are reported under it. */
  String stepName();

  /** A stateless ParDo (fused, or the root of a stage when it reads side inputs). */
  record ParDo(DoFnSpec fn) implements OperatorSpec {
    @Override
    public String stepName() {
      return fn.stepName();
    }
  }

  /** A stateful ParDo; the root of a stage fed by a keyed exchange. */
  record StatefulParDo(DoFnSpec fn) implements OperatorSpec {
    @Override
    public String stepName() {
      return fn.stepName();
    }
  }

  /**
   * GroupByKey; the root of a stage fed by a keyed exchange.
   *
   * @param windowingStrategy windowing strategy of the input PCollection
   * @param output the grouped PCollection
   */
  record GroupByKey(
      String stepName,
      WindowingStrategy<?, ?> windowingStrategy,
      Coder<?> keyCoder,
      Coder<?> valueCoder,
      PCollection<?> output)
      implements OperatorSpec {}

  /** The partial half of a lifted Combine.perKey, writing accumulators into {@code exchange}. */
  record PartialCombine(
      String stepName,
      CombineFn<Object, Object, Object> fn,
      TimestampCombiner timestampCombiner,
      ExchangeSpec exchange)
      implements OperatorSpec {}

  /** The final half of a lifted Combine.perKey; the root of a stage fed by a keyed exchange. */
  record FinalCombine(
      String stepName,
      CombineFn<Object, Object, Object> fn,
      TimestampCombiner timestampCombiner,
      PCollection<?> output)
      implements OperatorSpec {}

  /**
   * A splittable DoFn's ProcessElements; the root of a stage fed by a keyed exchange.
   *
   * @param input the PCollection of {@code KV<byte[], KV<element, restriction>>} that was shuffled
   */
  record ProcessElements(
      String stepName,
      SplittableParDoViaKeyedWorkItems.ProcessElements<Object, Object, Object, Object, Object>
          transform,
      PCollection<?> input,
      Map<TupleTag<?>, PCollection<?>> outputs,
      Map<TupleTag<?>, Coder<?>> outputCoders,
      WindowingStrategy<?, ?> windowingStrategy)
      implements OperatorSpec {}

  /** Flatten; the root of a stage fed by a forward exchange from all its inputs. */
  record Flatten(String stepName, PCollection<?> output) implements OperatorSpec {}

  /** Window.Assign (fused). */
  record AssignWindows(
      String stepName, WindowFn<Object, BoundedWindow> windowFn, PCollection<?> output)
      implements OperatorSpec {}

  /** CreatePCollectionView (fused): materialises {@code view}. */
  record ViewWriter(String stepName, PCollectionView<?> view, PCollection<?> output)
      implements OperatorSpec {}
}
