package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.plan.DoFnSpec;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.ReadyCheckingSideInputReader;
import org.apache.beam.runners.core.SimplePushbackSideInputDoFnRunner;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.WindowedValue;
import org.joda.time.Instant;

/**
 * A stateless ParDo: elements passed straight to runners-core's {@code SimpleDoFnRunner}. Where
 * side inputs may not be ready yet (any run but a bounded one), an element whose side-input windows
 * are not ready is held back (runners-core's {@link SimplePushbackSideInputDoFnRunner}) in the
 * task's {@link TaskContext#pushedBack()} list and retried when a bundle starts and whenever the
 * input watermark moves; held-back elements hold the output watermark.
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
    runner = newSimpleRunner(StepContexts.stateless(spec.stepName(), context.bundleFinalizer()));
    if (context.pushedBack() != null && !spec.sideInputs().isEmpty()) {
      pushback =
          SimplePushbackSideInputDoFnRunner.create(
              runner,
              spec.sideInputs(),
              (ReadyCheckingSideInputReader) context.sideInputReader(spec.sideInputs()));
    }
  }

  @Override
  protected void startBundle() {
    if (pushback != null) {
      pushback.startBundle(); // also resets its cache of windows known not to be ready
    } else {
      runner.startBundle();
    }
  }

  @Override
  protected void bundleStarted() throws Exception {
    retryPushedBack();
  }

  @Override
  protected void endBundle() {
    if (pushback != null) {
      pushback.finishBundle();
    } else {
      runner.finishBundle();
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(Object element) throws Exception {
    ensureBundle();
    WindowedValue<Object> value = (WindowedValue<Object>) element;
    try (var scope = context.scopedMetrics(spec.stepName())) {
      processChecked(
          value,
          () -> {
            if (pushback == null) {
              runner.processElement(value);
            } else {
              for (WindowedValue<Object> notReady : pushback.processElementInReadyWindows(value)) {
                context.pushedBack().add(notReady);
              }
            }
          });
    }
  }

  /** Side inputs may have become ready: retries held-back elements. */
  @Override
  public void advanceInputWatermark(Instant watermark) throws Exception {
    if (pushback != null && !context.pushedBack().isEmpty()) {
      ensureBundle(); // retries them
    }
  }

  private void retryPushedBack() throws Exception {
    List<WindowedValue<?>> pushedBack = context.pushedBack();
    if (pushback == null || pushedBack.isEmpty()) {
      return;
    }
    List<WindowedValue<?>> retry = new ArrayList<>(pushedBack);
    pushedBack.clear();
    for (WindowedValue<?> element : retry) {
      processElement(element);
    }
  }

  @Override
  public Instant outputWatermarkHold() {
    Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    if (pushback != null) {
      for (WindowedValue<?> element : context.pushedBack()) {
        if (element.getTimestamp().isBefore(earliest)) {
          earliest = element.getTimestamp();
        }
      }
    }
    return earliest;
  }
}
