package io.beamline.sdk.internal.execution;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.ReadyCheckingSideInputReader;
import org.apache.beam.runners.core.SimplePushbackSideInputDoFnRunner;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * A stateless ParDo: one bundle per task, elements passed straight to runners-core's {@code
 * SimpleDoFnRunner}. In a bounded run side inputs are complete when the task starts; in an epoch
 * run an element whose side-input windows are not ready yet is pushed back (runners-core's {@link
 * SimplePushbackSideInputDoFnRunner}) and retried in the next epoch.
 */
final class ParDoOperator extends DoFnOperatorBase {
  private DoFnRunner<Object, Object> runner;
  private SimplePushbackSideInputDoFnRunner<Object, Object> pushback;

  ParDoOperator(DoFnSpec spec, TaskContext context) {
    super(spec, context);
  }

  @Override
  public void open() throws Exception {
    super.open();
    String step = spec.stepName();
    runner = newSimpleRunner(StepContexts.stateless(step, context.bundleFinalizer()));
    List<WindowedValue<?>> pushedBack = context.epoch().pushedBack();
    if (pushedBack != null && !spec.sideInputs().isEmpty()) {
      pushback =
          SimplePushbackSideInputDoFnRunner.create(
              runner,
              spec.sideInputs(),
              (ReadyCheckingSideInputReader) context.sideInputReader(spec.sideInputs()));
    }
    try (var scope = context.scopedMetrics(step)) {
      if (pushback != null) {
        pushback.startBundle(); // also resets its cache of windows known not to be ready
      } else {
        runner.startBundle();
      }
    }
    if (pushback != null) {
      List<WindowedValue<?>> retry = new ArrayList<>(pushedBack);
      pushedBack.clear();
      for (WindowedValue<?> element : retry) {
        process(element);
      }
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public void process(Object element) throws Exception {
    try (var scope = context.scopedMetrics(spec.stepName())) {
      if (pushback == null) {
        runner.processElement((WindowedValue<Object>) element);
      } else {
        for (WindowedValue<Object> notReady :
            pushback.processElementInReadyWindows((WindowedValue<Object>) element)) {
          context.epoch().pushedBack().add(notReady);
        }
      }
    }
  }

  @Override
  public void finish() throws Exception {
    try (var scope = context.scopedMetrics(spec.stepName())) {
      if (pushback != null) {
        pushback.finishBundle();
      } else {
        runner.finishBundle();
      }
    }
  }
}
