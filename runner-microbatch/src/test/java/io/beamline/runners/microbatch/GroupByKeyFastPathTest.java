package io.beamline.runners.microbatch;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/**
 * GroupByKey over non-merging windows with the default trigger groups by window directly instead of
 * running ReduceFnRunner; the panes it emits must be exactly those ReduceFnRunner would emit: one
 * on-time pane per key and window, timestamped by the windowing strategy's TimestampCombiner.
 */
public class GroupByKeyFastPathTest {

  /** Describes each grouped pane as "key window-start ts size sorted-values timing". */
  static final class DescribeFn extends DoFn<KV<String, Iterable<Integer>>, String> {
    @ProcessElement
    public void process(
        @Element KV<String, Iterable<Integer>> kv,
        @Timestamp Instant ts,
        BoundedWindow window,
        PaneInfo pane,
        OutputReceiver<String> out) {
      List<Integer> values = new ArrayList<>();
      kv.getValue().forEach(values::add);
      values.sort(null);
      long start = ((org.apache.beam.sdk.transforms.windowing.IntervalWindow) window).start().getMillis();
      out.output(
          kv.getKey() + " " + start + " " + ts.getMillis() + " " + values + " " + pane.getTiming()
              + (pane.isFirst() && pane.isLast() ? " only" : ""));
    }
  }

  private static PCollection<String> group(Pipeline p, Window<KV<String, Integer>> windowing) {
    return p.apply(
            Create.timestamped(
                TimestampedValue.of(KV.of("a", 1), new Instant(1)),
                TimestampedValue.of(KV.of("a", 2), new Instant(7)),
                TimestampedValue.of(KV.of("a", 3), new Instant(12)),
                TimestampedValue.of(KV.of("b", 4), new Instant(5))))
        .apply(windowing)
        .apply(GroupByKey.create())
        .apply(ParDo.of(new DescribeFn()));
  }

  private static Pipeline pipeline() {
    MicroBatchPipelineOptions options = PipelineOptionsFactory.as(MicroBatchPipelineOptions.class);
    options.setRunner(MicroBatchRunner.class);
    options.setParallelism(2);
    return Pipeline.create(options);
  }

  @Test
  public void fixedWindowsEarliestTimestamp() {
    Pipeline p = pipeline();
    PAssert.that(
            group(
                p,
                Window.<KV<String, Integer>>into(FixedWindows.of(Duration.millis(10)))
                    .withTimestampCombiner(TimestampCombiner.EARLIEST)))
        .containsInAnyOrder("a 0 1 [1, 2] ON_TIME only", "a 10 12 [3] ON_TIME only", "b 0 5 [4] ON_TIME only");
    assertEquals(org.apache.beam.sdk.PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  @Test
  public void slidingWindowsEndOfWindowTimestamp() {
    Pipeline p = pipeline();
    // windows of 10 ms every 5 ms: element at 1 is in [-5,5) and [0,10); 7 in [0,10), [5,15); …
    PAssert.that(
            group(
                p,
                Window.<KV<String, Integer>>into(
                        SlidingWindows.of(Duration.millis(10)).every(Duration.millis(5)))
                    .withTimestampCombiner(TimestampCombiner.END_OF_WINDOW)))
        .containsInAnyOrder(
            "a -5 4 [1] ON_TIME only",
            "a 0 9 [1, 2] ON_TIME only",
            "a 5 14 [2, 3] ON_TIME only",
            "a 10 19 [3] ON_TIME only",
            "b 0 9 [4] ON_TIME only",
            "b 5 14 [4] ON_TIME only");
    assertEquals(org.apache.beam.sdk.PipelineResult.State.DONE, p.run().waitUntilFinish());
  }
}
