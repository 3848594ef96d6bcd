package io.beamline.sdk.internal.execution;

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
import org.apache.beam.runners.core.StepContext;
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

  /**
   * @param input the PCollection of {@code KV<byte[], KV<element, restriction>>} that was shuffled
   */
  record Spec(
      String stepName,
      ProcessElements<Object, Object, Object, Object, Object> transform,
      PCollection<?> input,
      Map<TupleTag<?>, PCollection<?>> outputs,
      Map<TupleTag<?>, Coder<?>> outputCoders,
      WindowingStrategy<?, ?> windowingStrategy)
      implements OperatorSpec {
    @Override
    public Operator create(TaskContext context) {
      return new ProcessElementsOperator(this, context);
    }
  }

  private final Spec spec;
  private final TaskContext context;
  private final KeyGroups groups = new KeyGroups();
  private ScheduledExecutorService checkpointTimer;
  private DoFn<Object, Object> fn;
  private ProcessFn<Object, Object, Object, Object, Object> processFn;
  private DoFnInvoker<?, ?> invoker;
  private KeyedStateStore.KeyState current;

  ProcessElementsOperator(Spec spec, TaskContext context) {
    this.spec = spec;
    this.context = context;
  }

  @Override
  public void open() throws Exception {
    // A fresh copy of the user's DoFn per task, as for every ParDo: lifecycle methods are per
    // instance, and the transform's own instance is shared by all tasks and epochs.
    fn = SerializableUtils.clone(spec.transform().getFn());
    processFn = spec.transform().newProcessFn(fn);
    try (var scope = context.scopedMetrics(spec.stepName())) {
      invoker = DoFnInvokers.tryInvokeSetupFor(processFn, context.options());
    }
  }

  @Override
  public void process(Object element) {
    groups.add(element);
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void finish() throws Exception {
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
    StepContext stepContext =
        StepContexts.keyed(() -> current.state, () -> current.timers, context.bundleFinalizer());
    KvCoder<byte[], KV<Object, Object>> inputCoder =
        (KvCoder<byte[], KV<Object, Object>>) spec.input().getCoder();
    Coder<BoundedWindow> windowCoder =
        (Coder<BoundedWindow>) spec.windowingStrategy().getWindowFn().windowCoder();
    PushbackSideInputDoFnRunner<KeyedWorkItem<byte[], KV<Object, Object>>, Object> runner =
        (PushbackSideInputDoFnRunner)
            DoFnRunners.newProcessFnRunner(
            (ProcessFn) processFn,
            context.options(),
            views,
            sideInputs,
            outputManager,
            (TupleTag) spec.transform().getMainOutputTag(),
            spec.transform().getAdditionalOutputTags().getAll(),
            stepContext,
            KeyedWorkItemCoder.of(inputCoder.getKeyCoder(), inputCoder.getValueCoder(), windowCoder),
            spec.outputCoders(),
            spec.windowingStrategy(),
            DoFnSchemaInformation.create(),
            spec.transform().getSideInputMapping());
    KeyedStateStore store = context.keyedState();
    List<WindowedValue<?>> pushedBack = context.epoch().pushedBack();
    List<WindowedValue<?>> retry = pushedBack == null ? List.of() : new ArrayList<>(pushedBack);
    if (pushedBack != null) {
      pushedBack.clear();
    }
    try (var scope = context.scopedMetrics(spec.stepName())) {
      runner.startBundle();
      for (WindowedValue<?> workItem : retry) {
        byte[] key = ((KeyedWorkItem<byte[], ?>) workItem.getValue()).key();
        current = store.get(inputCoder.getKeyCoder().structuralValue(key), key);
        pushBack(runner.processElementInReadyWindows((WindowedValue) workItem));
      }
      for (KeyGroups.Group group : groups.groups()) {
        current = store.get(group.structuralKey, group.key);
        KeyedTimers.advanceProcessingTime(current.timers, context.epoch());
        List<WindowedValue<KV<Object, Object>>> values = new ArrayList<>();
        for (WindowedValue<KV<Object, Object>> element : group.elements) {
          values.add((WindowedValue) WindowedValues.withValue(element, element.getValue().getValue()));
        }
        pushBack(
            runner.processElementInReadyWindows(
                WindowedValues.valueInGlobalWindow(
                    KeyedWorkItems.elementsWorkItem((byte[]) group.key, (Iterable) values))));
      }
      for (KeyedStateStore.KeyState keyState : store.all()) {
        current = keyState;
        context.recordActivity(
        KeyedTimers.fireUpTo(
            keyState.timers,
            context.epoch(),
            true,
            fired ->
                runner.processElementInReadyWindows(
                    WindowedValues.valueInGlobalWindow(
                        KeyedWorkItems.timersWorkItem((byte[]) keyState.key, fired)))));
      }
      store.advancedTo(context.epoch().inputWatermark());
      runner.finishBundle();
    }
  }

  /**
   * Keeps elements whose side inputs are not ready for the next epoch (ProcessFnRunner returns
   * them); the stage has a pushback buffer whenever it reads side inputs.
   */
  private void pushBack(Iterable<? extends WindowedValue<?>> notReady) {
    for (WindowedValue<?> element : notReady) {
      List<WindowedValue<?>> buffer = context.epoch().pushedBack();
      if (buffer == null) {
        throw new IllegalStateException(
            spec.stepName() + ": side inputs not ready but the stage has no pushback buffer");
      }
      buffer.add(element);
    }
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
