package io.beamline.vr.conformance;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * Issue 9, bug 1: the timing of a pane that fires after the watermark passed its window. Beam's
 * {@code PaneInfoTracker} calls a first pane LATE when the GroupByKey's output watermark is already
 * past the window's end; a window that merges with a late element, or a window whose first element
 * is late, starts without a previous pane, so only the output watermark tells that it is late.
 */
@RunWith(Parameterized.class)
public class LatePaneTimingTest implements Serializable {
  private static final Instant T0 = new Instant(0);

  @Parameterized.Parameters(name = "{0}")
  public static List<ConformanceRunner> runners() {
    return ConformanceRunner.all();
  }

  @Rule public final transient TestPipeline p;

  public LatePaneTimingTest(ConformanceRunner runner) {
    this.p = runner.pipeline();
  }

  private static Instant minutes(int m) {
    return T0.plus(Duration.standardMinutes(m));
  }

  @Test
  public void sessionMergedWithLateElementFiresLatePane() {
    TestStream<KV<String, Integer>> events =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), VarIntCoder.of()))
            .advanceWatermarkTo(T0)
            .addElements(TimestampedValue.of(KV.of("k", 1), minutes(0)))
            // session [0, 10) closes: its on-time pane
            .advanceWatermarkTo(minutes(20))
            // late, within the allowed lateness: [5, 15) merges with [0, 10) into [0, 15)
            .addElements(TimestampedValue.of(KV.of("k", 2), minutes(5)))
            .advanceWatermarkToInfinity();
    PCollection<String> panes =
        describePanes(p.apply(events), Sessions.withGapDuration(Duration.standardMinutes(10)));
    PAssert.that(panes)
        .containsInAnyOrder(
            "k [1] [0m, 10m) ON_TIME first=true", "k [2] [0m, 15m) LATE first=true");
    p.run();
  }

  @Test
  public void fixedWindowWhoseFirstElementIsLateFiresLatePane() {
    TestStream<KV<String, Integer>> events =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), VarIntCoder.of()))
            .advanceWatermarkTo(T0)
            .addElements(TimestampedValue.of(KV.of("k", 1), minutes(12)))
            // window [0, 10) passes without data; [10, 20) is still open
            .advanceWatermarkTo(minutes(15))
            .addElements(TimestampedValue.of(KV.of("k", 2), minutes(5)))
            .advanceWatermarkToInfinity();
    PCollection<String> panes =
        describePanes(p.apply(events), FixedWindows.of(Duration.standardMinutes(10)));
    PAssert.that(panes)
        .containsInAnyOrder(
            "k [2] [0m, 10m) LATE first=true", "k [1] [10m, 20m) ON_TIME first=true");
    p.run();
  }

  /** Late firings per element, discarding, one hour of allowed lateness; one line per pane. */
  private static PCollection<String> describePanes(
      PCollection<KV<String, Integer>> input, WindowFn<Object, ?> windowFn) {
    return input
        .apply(
            Window.<KV<String, Integer>>into(windowFn)
                .triggering(
                    AfterWatermark.pastEndOfWindow()
                        .withLateFirings(AfterPane.elementCountAtLeast(1)))
                .withAllowedLateness(Duration.standardHours(1))
                .discardingFiredPanes())
        .apply(GroupByKey.create())
        .apply(ParDo.of(new DescribePane()));
  }

  /** "key [sorted values] [start, end) TIMING first=..." with times in minutes. */
  static final class DescribePane extends DoFn<KV<String, Iterable<Integer>>, String> {
    @ProcessElement
    public void process(
        @Element KV<String, Iterable<Integer>> element,
        IntervalWindow window,
        PaneInfo pane,
        OutputReceiver<String> out) {
      List<Integer> values = new ArrayList<>();
      element.getValue().forEach(values::add);
      Collections.sort(values);
      out.output(
          String.format(
              "%s %s [%dm, %dm) %s first=%s",
              element.getKey(),
              values,
              window.start().getMillis() / 60_000,
              window.end().getMillis() / 60_000,
              pane.getTiming(),
              pane.isFirst()));
    }
  }
}
