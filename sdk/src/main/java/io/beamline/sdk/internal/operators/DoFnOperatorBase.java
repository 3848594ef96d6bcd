package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.plan.DoFnSpec;

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
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Shared plumbing of the ParDo operators: one DoFn instance per task for the whole run ({@code
 * @Setup} in {@link #open()}, {@code @Teardown} in {@link #close()}, as on Flink), an output manager
 * routing each tag to its PCollection's receiver, a {@link DoFnRunner} built by runners-core's
 * {@link DoFnRunners}, and bundles started lazily by the first element or timer and ended by the
 * engine's {@link #finishBundle()}.
 */
abstract class DoFnOperatorBase implements Operator {
  protected final DoFnSpec spec;
  protected final TaskContext context;
  protected DoFn<Object, Object> fn;
  private DoFnInvoker<Object, Object> invoker;
  protected WindowedValueMultiReceiver outputManager;
  private boolean inBundle;

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

  /** Starts a bundle unless one is open ({@code @StartBundle}), then {@link #bundleStarted()}. */
  protected final void ensureBundle() throws Exception {
    if (!inBundle) {
      inBundle = true;
      try (var scope = context.scopedMetrics(spec.stepName())) {
        startBundle();
      }
      bundleStarted();
    }
  }

  /** Calls the runner's {@code startBundle}. */
  protected abstract void startBundle() throws Exception;

  /** Calls the runner's {@code finishBundle}. */
  protected abstract void endBundle() throws Exception;

  /** Called right after a bundle started; e.g. to retry held-back elements. */
  protected void bundleStarted() throws Exception {}

  /**
   * Runs {@code body} on {@code element}, checking (when model checks are on) that it did not
   * modify the element.
   */
  protected final void processChecked(
      WindowedValue<?> element, ModelEnforcement.ThrowingRunnable body) throws Exception {
    ModelEnforcement enforcement = context.enforcement();
    if (enforcement == null) {
      body.run();
    } else {
      enforcement.checkInputUnmodified(spec.stepName(), element, spec.inputCoder(), body);
    }
  }

  @Override
  public void finishBundle() throws Exception {
    if (inBundle) {
      inBundle = false;
      try (var scope = context.scopedMetrics(spec.stepName())) {
        endBundle();
      }
    }
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
