package io.beamline.sdk.internal.execution;

import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * A stateless ParDo: one bundle per task, elements passed straight to runners-core's {@code
 * SimpleDoFnRunner}. Side inputs (if any) are complete when the task starts.
 */
final class ParDoOperator extends DoFnOperatorBase {
  private DoFnRunner<Object, Object> runner;

  ParDoOperator(DoFnSpec spec, TaskContext context) {
    super(spec, context);
  }

  @Override
  public void open() throws Exception {
    super.open();
    String step = spec.stepName();
    runner = newSimpleRunner(StepContexts.stateless(step, context.bundleFinalizer()));
    try (var scope = context.scopedMetrics(step)) {
      runner.startBundle();
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public void process(Object element) throws Exception {
    try (var scope = context.scopedMetrics(spec.stepName())) {
      runner.processElement((WindowedValue<Object>) element);
    }
  }

  @Override
  public void finish() throws Exception {
    try (var scope = context.scopedMetrics(spec.stepName())) {
      runner.finishBundle();
    }
  }
}
