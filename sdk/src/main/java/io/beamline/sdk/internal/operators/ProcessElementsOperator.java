package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.exchange.ByteKey;
import io.beamline.sdk.internal.exchange.KeyedElement;
import io.beamline.sdk.internal.plan.OperatorSpec;
import io.beamline.sdk.internal.state.KeyedStateStore;
import io.beamline.sdk.internal.time.KeyedTimers;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.beam.runners.core.PushbackSideInputDoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.KeyedWorkItem;
import org.apache.beam.runners.core.KeyedWorkItemCoder;
import org.apache.beam.runners.core.KeyedWorkItems;
import org.apache.beam.runners.core.OutputAndTimeBoundedSplittableProcessElementInvoker;
import org.apache.beam.runners.core.ReadyCheckingSideInputReader;
import org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems.ProcessElements;
import org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems.ProcessFn;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.WindowedValueMultiReceiver;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;
import org.joda.time.Duration;

/**
 * A splittable DoFn in an epoch run, at the receiving end of a keyed exchange (the key is the
 * element's encoded bytes, as Beam's {@code GBKIntoKeyedWorkItems} assigns it): runners-core's
 * {@link ProcessFn} per key with an {@link OutputAndTimeBoundedSplittableProcessElementInvoker},
 * which checkpoints the restriction after 100 outputs or 1 second and resumes it through a timer
 * in a later epoch (or, at the end of the run, right away). Restrictions, watermark estimator
 * state and holds live in the key's state across epochs.
 */
final class ProcessElementsOperator implements Operator {

  private final OperatorSpec.ProcessElements spec;
  private final TaskContext context;
  private final CurrentKey current = new CurrentKey();
  private ScheduledExecutorService checkpointTimer;
  private DoFn<Object, Object> fn;
  private ProcessFn<Object, Object, Object, Object, Object> processFn;
  private DoFnInvoker<?, ?> invoker;
  private PushbackSideInputDoFnRunner<KeyedWorkItem<byte[], KV<Object, Object>>, Object> runner;
  private KvCoder<byte[], KV<Object, Object>> inputCoder;
  private boolean inBundle;

  ProcessElementsOperator(OperatorSpec.ProcessElements spec, TaskContext context) {
    this.spec = spec;
    this.context = context;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void open() throws Exception {
    // One copy of the user's DoFn per task for the run, as for every ParDo: lifecycle methods are
    // per instance, and the transform's own instance is shared by all tasks.
    fn = SerializableUtils.clone(spec.transform().getFn());
    processFn = spec.transform().newProcessFn(fn);
    try (var scope = context.scopedMetrics(spec.stepName())) {
      invoker = DoFnInvokers.tryInvokeSetupFor(processFn, context.options());
    }
    WindowedValueMultiReceiver outputManager = context.outputManager(spec.outputs());
    List<PCollectionView<?>> views = spec.transform().getSideInputs();
    ReadyCheckingSideInputReader sideInputs =
        (ReadyCheckingSideInputReader) context.sideInputReader(views);
    checkpointTimer = Executors.newSingleThreadScheduledExecutor();
    processFn.setStateInternalsFactory(key -> (StateInternals) current.state);
    processFn.setTimerInternalsFactory(key -> (TimerInternals) current.timers);
    processFn.setSideInputReader(sideInputs);
    processFn.setProcessElementInvoker(
        new OutputAndTimeBoundedSplittableProcessElementInvoker<>(
            fn,
            context.options(),
            outputManager,
            spec.transform().getMainOutputTag(),
            sideInputs,
            checkpointTimer,
            100,
            Duration.standardSeconds(1),
            context::bundleFinalizer));
    inputCoder = (KvCoder<byte[], KV<Object, Object>>) spec.input().getCoder();
    Coder<BoundedWindow> windowCoder =
        (Coder<BoundedWindow>) spec.windowingStrategy().getWindowFn().windowCoder();
    runner =
        (PushbackSideInputDoFnRunner)
            DoFnRunners.newProcessFnRunner(
                (ProcessFn) processFn,
                context.options(),
                views,
                sideInputs,
                outputManager,
                (TupleTag) spec.transform().getMainOutputTag(),
                spec.transform().getAdditionalOutputTags().getAll(),
                current.stepContext(context.bundleFinalizer()),
                KeyedWorkItemCoder.of(
                    inputCoder.getKeyCoder(), inputCoder.getValueCoder(), windowCoder),
                spec.outputCoders(),
                spec.windowingStrategy(),
                DoFnSchemaInformation.create(),
                spec.transform().getSideInputMapping());
  }

  /** Starts a bundle unless one is open, retrying work items held back for side inputs first. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private void ensureBundle() throws Exception {
    if (inBundle) {
      return;
    }
    inBundle = true;
    runner.startBundle();
    List<WindowedValue<?>> pushedBack = context.pushedBack();
    if (pushedBack == null || pushedBack.isEmpty()) {
      return;
    }
    List<WindowedValue<?>> retry = new ArrayList<>(pushedBack);
    pushedBack.clear();
    for (WindowedValue<?> workItem : retry) {
      byte[] key = ((KeyedWorkItem<byte[], ?>) workItem.getValue()).key();
      current.set(context.keyedState().get(encodedKey(key), key));
      pushBack(runner.processElementInReadyWindows((WindowedValue) workItem));
    }
  }

  /** The key as the shuffle encoded it: the key of this transform is already an encoding. */
  private ByteKey encodedKey(byte[] key) throws Exception {
    return new ByteKey(org.apache.beam.sdk.util.CoderUtils.encodeToByteArray(inputCoder.getKeyCoder(), key));
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void processElement(Object element) throws Exception {
    KeyedElement keyed = (KeyedElement) element;
    WindowedValue<KV<byte[], KV<Object, Object>>> value =
        (WindowedValue<KV<byte[], KV<Object, Object>>>) keyed.value();
    try (var scope = context.scopedMetrics(spec.stepName())) {
      ensureBundle();
      byte[] key = value.getValue().getKey();
      KeyedStateStore.KeyState keyState = context.keyedState().get(keyed.key(), key);
      current.set(keyState);
      KeyedTimers.setProcessingTime(
          keyState.timers(), context.processingTime(), context.synchronizedProcessingTime());
      WindowedValue<KV<Object, Object>> item =
          (WindowedValue) WindowedValues.withValue(value, value.getValue().getValue());
      pushBack(
          runner.processElementInReadyWindows(
              WindowedValues.valueInGlobalWindow(
                  KeyedWorkItems.elementsWorkItem(key, (Iterable) List.of(item)))));
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

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void fireTimers(Instant watermark, Instant processingTime, Instant synchronizedTime)
      throws Exception {
    try (var scope = context.scopedMetrics(spec.stepName())) {
      if (context.pushedBack() != null && !context.pushedBack().isEmpty()) {
        ensureBundle(); // side inputs may have become ready
      }
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
                pushBack(
                    runner.processElementInReadyWindows(
                        WindowedValues.valueInGlobalWindow(
                            KeyedWorkItems.timersWorkItem((byte[]) keyState.key(), fired))));
              }));
    }
  }

  /**
   * Keeps work items whose side inputs are not ready (ProcessFnRunner returns them) for a later
   * bundle; the stage has a pushback buffer whenever it reads side inputs.
   */
  private void pushBack(Iterable<? extends WindowedValue<?>> notReady) {
    for (WindowedValue<?> element : notReady) {
      List<WindowedValue<?>> buffer = context.pushedBack();
      if (buffer == null) {
        throw new IllegalStateException(
            spec.stepName() + ": side inputs not ready but the stage has no pushback buffer");
      }
      buffer.add(element);
    }
  }

  @Override
  public void finishBundle() throws Exception {
    if (inBundle) {
      inBundle = false;
      try (var scope = context.scopedMetrics(spec.stepName())) {
        runner.finishBundle();
      }
    }
  }

  @Override
  public Instant outputWatermarkHold() {
    Instant earliest = context.keyedState().earliestHold();
    if (context.pushedBack() != null) {
      for (WindowedValue<?> element : context.pushedBack()) {
        if (element.getTimestamp().isBefore(earliest)) {
          earliest = element.getTimestamp();
        }
      }
    }
    return earliest;
  }

  @Override
  public void close() throws Exception {
    if (checkpointTimer != null) {
      checkpointTimer.shutdownNow();
    }
    if (invoker != null) {
      invoker.invokeTeardown();
    }
  }
}
