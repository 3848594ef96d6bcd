package io.beamline.sdk.internal.execution;

import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.util.WindowedValueMultiReceiver;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Shared plumbing of the ParDo operators: one DoFn instance per task with {@code @Setup} in {@link
 * #open()} and {@code @Teardown} in {@link #close()}, an output manager routing each tag to its
 * PCollection's receiver, and a {@link DoFnRunner} built by runners-core's {@link DoFnRunners}.
 */
abstract class DoFnOperatorBase implements Operator {
  protected final DoFnSpec spec;
  protected final TaskContext context;
  protected DoFn<Object, Object> fn;
  private DoFnInvoker<Object, Object> invoker;
  protected WindowedValueMultiReceiver outputManager;

  DoFnOperatorBase(DoFnSpec spec, TaskContext context) {
    this.spec = spec;
    this.context = context;
  }

  @Override
  public void open() throws Exception {
    outputManager = context.outputManager(spec.outputs());
    fn = spec.newFn();
    try (var scope = context.scopedMetrics(spec.stepName())) {
      invoker = DoFnInvokers.tryInvokeSetupFor(fn, context.options());
    }
  }

  /** A runners-core {@link DoFnRunners#simpleRunner} for this task's DoFn instance. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  protected DoFnRunner<Object, Object> newSimpleRunner(StepContext stepContext) {
    SideInputReader sideInputs =
        spec.sideInputs().isEmpty()
            ? NullSideInputReader.empty()
            : context.sideInputReader(spec.sideInputs());
    return DoFnRunners.simpleRunner(
        context.options(),
        fn,
        sideInputs,
        outputManager,
        (TupleTag) spec.mainOutputTag(),
        spec.additionalOutputTags(),
        stepContext,
        (org.apache.beam.sdk.coders.Coder) spec.inputCoder(),
        spec.outputCoders(),
        spec.windowingStrategy(),
        spec.schemaInformation(),
        spec.sideInputMapping());
  }

  @Override
  public void close() throws Exception {
    if (invoker != null) {
      try (var scope = context.scopedMetrics(spec.stepName())) {
        invoker.invokeTeardown();
      }
    }
  }
}
