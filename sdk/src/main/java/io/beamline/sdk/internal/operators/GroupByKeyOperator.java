package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.plan.OperatorSpec;
import io.beamline.sdk.internal.state.KeyedStateStore;
import io.beamline.sdk.internal.time.KeyedTimers;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.GroupAlsoByWindowViaWindowSetNewDoFn;
import org.apache.beam.runners.core.KeyedWorkItem;
import org.apache.beam.runners.core.KeyedWorkItemCoder;
import org.apache.beam.runners.core.KeyedWorkItems;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.SystemReduceFn;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.util.WindowedValueMultiReceiver;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;

/**
 * GroupByKey at the receiving end of a keyed exchange. In general: GroupAlsoByWindow for each key
 * with runners-core's {@link GroupAlsoByWindowViaWindowSetNewDoFn} (so {@code ReduceFnRunner}
 * applies windowing, merging, triggers, allowed lateness, accumulation mode and pane info), then
 * every timer of the key up to the end of time. In a bounded run with the default trigger the
 * result is known without it — one on-time pane per key and (merged) window — and the values are
 * grouped by window directly ({@link #isDirectlyGroupable}), merging windows as {@code
 * ReduceFnRunner} would ({@link #mergedWindows}).
 */
final class GroupByKeyOperator implements Operator {

  private final OperatorSpec.GroupByKey spec;
  private final TaskContext context;
  private final KeyGroups buffered = new KeyGroups();
  private final CurrentKey current = new CurrentKey();
  private DoFnRunner<KeyedWorkItem<Object, Object>, KV<Object, Iterable<Object>>> runner;
  private boolean inBundle;

  GroupByKeyOperator(OperatorSpec.GroupByKey spec, TaskContext context) {
    this.spec = spec;
    this.context = context;
  }

  @Override
  public void open() {
    if (!directGrouping()) {
      runner = newGroupAlsoByWindowRunner();
    }
  }

  /** True when the whole input is buffered and grouped by window at the end of a bounded run. */
  private boolean directGrouping() {
    return context.bounded() && isDirectlyGroupable(spec.windowingStrategy());
  }

  @Override
  public void processElement(Object element) {
    buffered.add(element);
  }

  /**
   * Groups what the bundle buffered, per key, through GroupAlsoByWindow (at the watermark before
   * this one), then fires the timers the watermark passed: the windows it closed.
   */
  @Override
  public void advanceInputWatermark(Instant watermark) throws Exception {
    if (directGrouping()) {
      if (!watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        groupByWindowDirectly();
      }
      return;
    }
    flush();
    fireTimers(watermark, context.processingTime(), context.synchronizedProcessingTime());
  }

  @Override
  public void advanceProcessingTime(Instant processingTime, Instant synchronizedTime)
      throws Exception {
    if (!directGrouping()) {
      fireTimers(context.keyedState().watermark(), processingTime, synchronizedTime);
    }
  }

  @Override
  public void finishBundle() throws Exception {
    if (directGrouping()) {
      return; // everything is grouped at the end of the run
    }
    flush();
    if (inBundle) {
      inBundle = false;
      try (var scope = context.scopedMetrics(spec.stepName())) {
        runner.finishBundle();
      }
    }
  }

  @Override
  public Instant outputWatermarkHold() {
    return directGrouping() ? BoundedWindow.TIMESTAMP_MAX_VALUE : context.keyedState().earliestHold();
  }

  /**
   * Whether a bounded GroupByKey can group by (key, window) directly instead of running {@code
   * ReduceFnRunner}: with the default trigger, each window of a key (after merging, for a merging
   * {@code WindowFn}) fires exactly once, on time, when the watermark reaches +∞ at the end of the
   * run. (The fast path of Beam's Flink and Spark batch translators.)
   */
  static boolean isDirectlyGroupable(WindowingStrategy<?, ?> strategy) {
    return strategy.getTrigger() instanceof DefaultTrigger;
  }

  /** One output pane: the values of one key in one window and their combined timestamp. */
  private static final class Pane {
    final List<Object> values = new ArrayList<>();
    Instant timestamp;
  }

  private void groupByWindowDirectly() throws Exception {
    Receiver output = context.receiver(spec.output());
    TimestampCombiner timestampCombiner = spec.windowingStrategy().getTimestampCombiner();
    @SuppressWarnings("unchecked")
    WindowFn<Object, BoundedWindow> windowFn =
        (WindowFn<Object, BoundedWindow>) spec.windowingStrategy().getWindowFn();
    for (KeyGroups.Group group : buffered.groups()) {
      Map<BoundedWindow, BoundedWindow> merged =
          windowFn.isNonMerging() ? Map.of() : mergedWindows(windowFn, group.elements);
      Map<BoundedWindow, Pane> panes = new LinkedHashMap<>();
      for (WindowedValue<KV<Object, Object>> element : group.elements) {
        for (BoundedWindow window : element.getWindows()) {
          BoundedWindow into = merged.getOrDefault(window, window);
          Pane pane = panes.computeIfAbsent(into, w -> new Pane());
          // an element's hold, assigned in its own window and merged into the pane's (WatermarkHold)
          Instant timestamp = timestampCombiner.assign(window, element.getTimestamp());
          pane.timestamp =
              pane.timestamp == null
                  ? timestampCombiner.merge(into, timestamp)
                  : timestampCombiner.merge(into, pane.timestamp, timestamp);
          pane.values.add(element.getValue().getValue());
        }
      }
      for (Map.Entry<BoundedWindow, Pane> e : panes.entrySet()) {
        output.accept(
            WindowedValues.of(
                KV.of(group.key, e.getValue().values),
                e.getValue().timestamp,
                e.getKey(),
                PaneInfo.ON_TIME_AND_ONLY_FIRING));
      }
    }
    buffered.clear();
  }

  /**
   * The windows of one key's elements that merge, each mapped to the window it merges into: one
   * call of {@link WindowFn#mergeWindows} over all of them, as {@code ReduceFnRunner} makes for a
   * work item holding all of a key's elements (its {@code MergingActiveWindowSet}).
   *
   * @throws IllegalArgumentException if the {@code WindowFn} merges a window it was not given
   */
  static Map<BoundedWindow, BoundedWindow> mergedWindows(
      WindowFn<Object, BoundedWindow> windowFn, List<WindowedValue<KV<Object, Object>>> elements)
      throws Exception {
    Set<BoundedWindow> windows = new LinkedHashSet<>();
    for (WindowedValue<KV<Object, Object>> element : elements) {
      windows.addAll(element.getWindows());
    }
    Map<BoundedWindow, BoundedWindow> into = new HashMap<>();
    windowFn.mergeWindows(
        windowFn.new MergeContext() {
          @Override
          public Collection<BoundedWindow> windows() {
            return Collections.unmodifiableSet(windows);
          }

          @Override
          public void merge(Collection<BoundedWindow> toBeMerged, BoundedWindow mergeResult) {
            for (BoundedWindow window : toBeMerged) {
              if (!windows.contains(window)) {
                throw new IllegalArgumentException(
                    windowFn + " merged " + window + ", which is not among the windows to merge");
              }
              into.put(window, mergeResult);
            }
          }
        });
    return into;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private DoFnRunner<KeyedWorkItem<Object, Object>, KV<Object, Iterable<Object>>>
      newGroupAlsoByWindowRunner() {
    Receiver output = context.receiver(spec.output());
    TupleTag<KV<Object, Iterable<Object>>> mainTag = new TupleTag<>("grouped");
    WindowedValueMultiReceiver outputManager =
        new WindowedValueMultiReceiver() {
          @Override
          public <T> void output(TupleTag<T> tag, WindowedValue<T> value) {
            output.accept(value);
          }
        };
    DoFn<KeyedWorkItem<Object, Object>, KV<Object, Iterable<Object>>> gabw =
        GroupAlsoByWindowViaWindowSetNewDoFn.create(
            (WindowingStrategy) spec.windowingStrategy(),
            key -> current.state,
            key -> current.timers,
            NullSideInputReader.empty(),
            (SystemReduceFn) SystemReduceFn.buffering(spec.valueCoder()),
            outputManager,
            mainTag);
    Coder<BoundedWindow> windowCoder =
        (Coder<BoundedWindow>) spec.windowingStrategy().getWindowFn().windowCoder();
    return DoFnRunners.simpleRunner(
        context.options(),
        gabw,
        NullSideInputReader.empty(),
        outputManager,
        mainTag,
        List.of(),
        current.stepContext(context.bundleFinalizer()),
        KeyedWorkItemCoder.of(
            (Coder<Object>) spec.keyCoder(), (Coder<Object>) spec.valueCoder(), windowCoder),
        java.util.Map.of(),
        WindowingStrategy.globalDefault(),
        DoFnSchemaInformation.create(),
        java.util.Map.of());
  }

  private void ensureBundle() {
    if (!inBundle) {
      inBundle = true;
      try (var scope = context.scopedMetrics(spec.stepName())) {
        runner.startBundle();
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * Feeds each key's buffered elements to GroupAlsoByWindow, behind runners-core's late-data
   * dropping (elements are judged against the watermark before the one being advanced to).
   */
  private void flush() throws Exception {
    if (buffered.isEmpty()) {
      return;
    }
    ensureBundle();
    KeyedStateStore store = context.keyedState();
    try (var scope = context.scopedMetrics(spec.stepName())) {
      for (KeyGroups.Group group : buffered.groups()) {
        KeyedStateStore.KeyState keyState = store.get(group.encodedKey, group.key);
        current.set(keyState);
        KeyedTimers.setProcessingTime(
            keyState.timers(), context.processingTime(), context.synchronizedProcessingTime());
        List<WindowedValue<Object>> values = new ArrayList<>(group.elements.size());
        for (WindowedValue<KV<Object, Object>> element : group.elements) {
          values.add(
              WindowedValues.of(
                  element.getValue().getValue(),
                  element.getTimestamp(),
                  element.getWindows(),
                  element.getPaneInfo()));
        }
        DoFnRunners.lateDataDroppingRunner(runner, keyState.timers(), spec.windowingStrategy())
            .processElement(
                WindowedValues.valueInGlobalWindow(
                    KeyedWorkItems.elementsWorkItem(group.key, values)));
      }
    }
    buffered.clear();
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
              false,
              (keyState, fired) -> {
                ensureBundle();
                runner.processElement(
                    WindowedValues.valueInGlobalWindow(
                        KeyedWorkItems.timersWorkItem(keyState.key(), fired)));
              }));
    }
  }
}
