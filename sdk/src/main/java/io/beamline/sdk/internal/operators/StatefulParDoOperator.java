package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.exchange.KeyedElement;
import io.beamline.sdk.internal.plan.DoFnSpec;
import io.beamline.sdk.internal.state.KeyedStateStore;
import io.beamline.sdk.internal.time.KeyedTimers;

import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.joda.time.Instant;

/**
 * A stateful ParDo at the receiving end of a keyed exchange: one runners-core {@link
 * StatefulDoFnRunner} (late-data dropping, state garbage collection with {@code
 * @OnWindowExpiration}, {@code @RequiresTimeSortedInput}) around a {@code SimpleDoFnRunner} for the
 * whole run, whose state and timers are those of the key being processed ({@link CurrentKey}, kept
 * in the partition's {@link KeyedStateStore}). Elements are processed as they arrive; timers fire
 * one at a time, in timestamp order per key, when the watermark or processing time passes them.
 */
final class StatefulParDoOperator extends DoFnOperatorBase {
  private final CurrentKey current = new CurrentKey();
  private DoFnRunner<Object, Object> runner;

  StatefulParDoOperator(DoFnSpec spec, TaskContext context) {
    super(spec, context);
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void open() throws Exception {
    super.open();
    Coder<BoundedWindow> windowCoder =
        (Coder<BoundedWindow>) spec.windowingStrategy().getWindowFn().windowCoder();
    StepContext stepContext = current.stepContext(context.bundleFinalizer());
    runner =
        DoFnRunners.defaultStatefulDoFnRunner(
            fn,
            (Coder) spec.inputCoder(),
            newSimpleRunner(stepContext),
            stepContext,
            spec.windowingStrategy(),
            new StatefulDoFnRunner.TimeInternalsCleanupTimer(
                current.timers, spec.windowingStrategy()),
            new StatefulDoFnRunner.StateInternalsStateCleaner<>(fn, current.state, windowCoder),
            true);
  }

  @Override
  protected void startBundle() {
    runner.startBundle();
  }

  @Override
  protected void endBundle() {
    runner.finishBundle();
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void processElement(Object element) throws Exception {
    ensureBundle();
    KeyedElement keyed = (KeyedElement) element;
    WindowedValue<KV<Object, Object>> value = (WindowedValue<KV<Object, Object>>) keyed.value();
    KeyedStateStore.KeyState keyState =
        context.keyedState().get(keyed.key(), value.getValue().getKey());
    current.set(keyState);
    KeyedTimers.setProcessingTime(
        keyState.timers(), context.processingTime(), context.synchronizedProcessingTime());
    try (var scope = context.scopedMetrics(spec.stepName())) {
      processChecked(value, () -> runner.processElement((WindowedValue) value));
    }
  }

  @Override
  public void advanceInputWatermark(Instant watermark) throws Exception {
    fireTimers(watermark, context.processingTime(), context.synchronizedProcessingTime());
  }

  @Override
  public void advanceProcessingTime(Instant processingTime, Instant synchronizedTime)
      throws Exception {
    fireTimers(context.keyedState().watermark(), processingTime, synchronizedTime);
  }

  private void fireTimers(Instant watermark, Instant processingTime, Instant synchronizedTime)
      throws Exception {
    try (var scope = context.scopedMetrics(spec.stepName())) {
      context.recordActivity(
          TimerFiring.fireAll(
              context.keyedState(),
              current,
              watermark,
              processingTime,
              synchronizedTime,
              true,
              (keyState, fired) -> {
                ensureBundle();
                fireTimer(keyState.key(), fired.get(0));
              }));
    }
  }

  private void fireTimer(Object key, TimerData timer) {
    BoundedWindow window = ((StateNamespaces.WindowNamespace<?>) timer.getNamespace()).getWindow();
    runner.onTimer(
        timer.getTimerId(),
        timer.getTimerFamilyId(),
        key,
        window,
        timer.getTimestamp(),
        timer.getOutputTimestamp(),
        timer.getDomain());
  }

  @Override
  public Instant outputWatermarkHold() {
    return context.keyedState().earliestHold();
  }
}
