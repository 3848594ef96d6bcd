package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.plan.OperatorSpec;

import com.google.common.collect.ImmutableMap;
import java.util.Map;

/**
 * The one table from a step's {@link OperatorSpec} type to the operator that executes it (as
 * Beam's DirectRunner maps each primitive to its evaluator). Every engine creates operators here.
 */
public final class OperatorFactory {
  private OperatorFactory() {}

  /** Creates the operator of one task. */
  @FunctionalInterface
  private interface Constructor {
    Operator create(OperatorSpec spec, TaskContext context) throws Exception;
  }

  private static final Map<Class<? extends OperatorSpec>, Constructor> TABLE =
      ImmutableMap.<Class<? extends OperatorSpec>, Constructor>builder()
          .put(OperatorSpec.ParDo.class, (s, c) -> new ParDoOperator(((OperatorSpec.ParDo) s).fn(), c))
          .put(
              OperatorSpec.StatefulParDo.class,
              (s, c) -> new StatefulParDoOperator(((OperatorSpec.StatefulParDo) s).fn(), c))
          .put(
              OperatorSpec.GroupByKey.class,
              (s, c) -> new GroupByKeyOperator((OperatorSpec.GroupByKey) s, c))
          .put(
              OperatorSpec.PartialCombine.class,
              (s, c) -> CombineOperators.partial((OperatorSpec.PartialCombine) s, c))
          .put(
              OperatorSpec.FinalCombine.class,
              (s, c) -> CombineOperators.finalHalf((OperatorSpec.FinalCombine) s, c))
          .put(
              OperatorSpec.ProcessElements.class,
              (s, c) -> new ProcessElementsOperator((OperatorSpec.ProcessElements) s, c))
          .put(
              OperatorSpec.Flatten.class,
              (s, c) -> SimpleOperators.flatten((OperatorSpec.Flatten) s, c))
          .put(
              OperatorSpec.AssignWindows.class,
              (s, c) -> SimpleOperators.assignWindows((OperatorSpec.AssignWindows) s, c))
          .put(
              OperatorSpec.ViewWriter.class,
              (s, c) -> SimpleOperators.viewWriter((OperatorSpec.ViewWriter) s, c))
          .build();

  /**
   * The operator executing {@code spec} in the task of {@code context}.
   *
   * @throws IllegalArgumentException if no operator executes this kind of spec
   * @throws Exception if the operator cannot be created
   */
  public static Operator create(OperatorSpec spec, TaskContext context) throws Exception {
    Constructor constructor = TABLE.get(spec.getClass());
    if (constructor == null) {
      throw new IllegalArgumentException("No operator for " + spec.getClass().getName());
    }
    return constructor.create(spec, context);
  }
}
