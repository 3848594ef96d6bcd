package io.beamline.sdk.internal.sideinput;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/** When a window of a view is ready to be read, in the three kinds of store. */
public class SideInputStoreTest {
  private final Pipeline pipeline = Pipeline.create(options());
  private final PCollectionView<List<Long>> boundedView =
      pipeline.apply("Bounded", GenerateSequence.from(0).to(4)).apply("BoundedView", View.asList());
  private final PCollectionView<List<Long>> unboundedView =
      pipeline
          .apply("Unbounded", GenerateSequence.from(0))
          .apply(Window.into(FixedWindows.of(Duration.standardMinutes(1))))
          .apply("UnboundedView", View.asList());
  private final IntervalWindow minute = new IntervalWindow(new Instant(0), new Instant(60_000));
  private final List<WindowedValue<?>> someData = List.of(WindowedValues.valueInGlobalWindow(1L));
  private final List<WindowedValue<?>> someDataInMinute =
      List.of(WindowedValues.of(1L, new Instant(1), minute, PaneInfo.NO_FIRING));

  /** Options of a pipeline that is only built, never run. */
  private static org.apache.beam.sdk.options.PipelineOptions options() {
    org.apache.beam.sdk.options.PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(org.apache.beam.sdk.testing.CrashingRunner.class);
    return options;
  }

  @Test
  public void epochRunsTakeAWindowOnceDataArrived() {
    SideInputStore store = new SideInputStore(false);
    assertFalse(store.isReady(boundedView, GlobalWindow.INSTANCE));
    store.append(boundedView, 0, someData);
    assertTrue(store.isReady(boundedView, GlobalWindow.INSTANCE));
  }

  /**
   * All stages at once over a bounded view: a producer task may have written only some bundles of
   * it, so data alone does not make it ready (ViewTest#testListWithRandomAccessSideInput once read
   * 2 of 4 elements this way); its watermark does.
   */
  @Test
  public void aBoundedViewWaitsForItsWatermarkWhenStagesRunAtOnce() {
    SideInputStore store = SideInputStore.readyByWatermarkIfBounded();
    store.append(boundedView, 0, someData);
    assertFalse(store.isReady(boundedView, GlobalWindow.INSTANCE));
    store.setWatermark(boundedView, BoundedWindow.TIMESTAMP_MAX_VALUE);
    assertTrue(store.isReady(boundedView, GlobalWindow.INSTANCE));
  }

  /** An unbounded view's watermark may never pass its window (or lag far behind): data makes it ready. */
  @Test
  public void anUnboundedViewIsReadyOnceDataArrivedWhenStagesRunAtOnce() {
    SideInputStore store = SideInputStore.readyByWatermarkIfBounded();
    assertFalse(store.isReady(unboundedView, minute));
    store.append(unboundedView, 0, someDataInMinute);
    assertTrue(store.isReady(unboundedView, minute));
  }

  @Test
  public void boundedRunsOfStagesAtOnceWaitForTheWatermarkOfEveryView() {
    SideInputStore store = SideInputStore.readyByWatermark();
    store.append(unboundedView, 0, someDataInMinute);
    assertFalse(store.isReady(unboundedView, minute));
  }
}
