package io.beamline.sdk.internal.execution;

import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

/**
 * A stateful ParDo at the receiving end of a keyed exchange. For each key: its state and timers
 * from the partition's {@link KeyedStateStore}, runners-core's {@link StatefulDoFnRunner} around a
 * {@code SimpleDoFnRunner} (late-data dropping, state garbage collection with
 * {@code @OnWindowExpiration}, {@code @RequiresTimeSortedInput}), the key's elements of the epoch,
 * then its timers up to the epoch's watermark and clock (the end of time in a bounded run).
 */
final class StatefulParDoOperator extends DoFnOperatorBase {
  private final KeyGroups groups = new KeyGroups();

  StatefulParDoOperator(DoFnSpec spec, TaskContext context) {
    super(spec, context);
  }

  @Override
  public void process(Object element) {
    groups.add(element);
  }

  /**
   * Processes each key's elements of this epoch, then fires the timers of every key of the
   * partition up to the epoch's watermark and clock. One bundle per key.
   */
  @Override
  public void finish() throws Exception {
    KeyedStateStore store = context.keyedState();
    Map<Object, KeyGroups.Group> withInput = new HashMap<>();
    for (KeyGroups.Group group : groups.groups()) {
      withInput.put(group.structuralKey, group);
      store.get(group.structuralKey, group.key);
    }
    for (Map.Entry<Object, KeyGroups.Group> e : keysInOrder(store, withInput)) {
      runKey(store.get(e.getKey(), null), e.getValue());
    }
    store.advancedTo(context.epoch().inputWatermark());
  }

  /** Keys with input first (in arrival order), then the keys that only have timers. */
  private static List<Map.Entry<Object, KeyGroups.Group>> keysInOrder(
      KeyedStateStore store, Map<Object, KeyGroups.Group> withInput) {
    List<Map.Entry<Object, KeyGroups.Group>> order = new ArrayList<>();
    for (KeyedStateStore.KeyState keyState : store.all()) {
      order.add(new SimpleImmutableEntry<>(keyState.structuralKey, withInput.get(keyState.structuralKey)));
    }
    return order;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void runKey(KeyedStateStore.KeyState keyState, KeyGroups.Group group) throws Exception {
    Coder<BoundedWindow> windowCoder =
        (Coder<BoundedWindow>) spec.windowingStrategy().getWindowFn().windowCoder();
    StepContext stepContext =
        StepContexts.keyed(() -> keyState.state, () -> keyState.timers, context.bundleFinalizer());
    DoFnRunner<Object, Object> simple = newSimpleRunner(stepContext);
    DoFnRunner<Object, Object> runner =
        DoFnRunners.defaultStatefulDoFnRunner(
            fn,
            (Coder) spec.inputCoder(),
            simple,
            stepContext,
            spec.windowingStrategy(),
            new StatefulDoFnRunner.TimeInternalsCleanupTimer(
                keyState.timers, spec.windowingStrategy()),
            new StatefulDoFnRunner.StateInternalsStateCleaner<>(fn, keyState.state, windowCoder),
            true);
    try (var scope = context.scopedMetrics(spec.stepName())) {
      runner.startBundle();
      if (group != null) {
        KeyedTimers.advanceProcessingTime(keyState.timers, context.epoch());
        for (WindowedValue<KV<Object, Object>> element : group.elements) {
          runner.processElement((WindowedValue) element);
        }
      }
      context.recordActivity(
        KeyedTimers.fireUpTo(
          keyState.timers,
          context.epoch(),
          true,
          fired -> fireTimer(runner, keyState.key, fired.get(0))));
      runner.finishBundle();
    }
  }

  private static void fireTimer(DoFnRunner<Object, Object> runner, Object key, TimerData timer) {
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
}
