package io.beamline.sdk.internal.execution;

import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.InMemoryTimerInternals;
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
 * A stateful ParDo at the receiving end of a keyed exchange. For each key: fresh state and timers,
 * runners-core's {@link StatefulDoFnRunner} around a {@code SimpleDoFnRunner} (late-data dropping,
 * state garbage collection with {@code @OnWindowExpiration}, {@code @RequiresTimeSortedInput}), all
 * elements of the key, then every timer up to the end of time. One bundle per key.
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

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void finish() throws Exception {
    Coder<BoundedWindow> windowCoder =
        (Coder<BoundedWindow>) spec.windowingStrategy().getWindowFn().windowCoder();
    for (KeyGroups.Group group : groups.groups()) {
      InMemoryStateInternals<Object> state = InMemoryStateInternals.forKey(group.key);
      InMemoryTimerInternals timers = new InMemoryTimerInternals();
      Instant now = Instant.now();
      timers.advanceProcessingTime(now);
      timers.advanceSynchronizedProcessingTime(now);
      StepContext stepContext =
          StepContexts.keyed(() -> state, () -> timers, context.bundleFinalizer());
      DoFnRunner<Object, Object> simple = newSimpleRunner(stepContext);
      DoFnRunner<Object, Object> runner =
          DoFnRunners.defaultStatefulDoFnRunner(
              fn,
              (Coder) spec.inputCoder(),
              simple,
              stepContext,
              spec.windowingStrategy(),
              new StatefulDoFnRunner.TimeInternalsCleanupTimer(timers, spec.windowingStrategy()),
              new StatefulDoFnRunner.StateInternalsStateCleaner<>(fn, state, windowCoder),
              true);
      try (var scope = context.scopedMetrics(spec.stepName())) {
        runner.startBundle();
        for (WindowedValue<KV<Object, Object>> element : group.elements) {
          runner.processElement((WindowedValue) element);
        }
        KeyedTimers.fireAllToEndOfTime(
            timers, true, fired -> fireTimer(runner, group.key, fired.get(0)));
        runner.finishBundle();
      }
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
