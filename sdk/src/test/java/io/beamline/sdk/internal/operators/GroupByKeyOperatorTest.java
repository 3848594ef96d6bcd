package io.beamline.sdk.internal.operators;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/** GroupAlsoByWindow driven alone: windows fire when the watermark passes, holds, late panes. */
public class GroupByKeyOperatorTest {
  private static final KvCoder<String, Long> INPUT =
      KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());

  private static OperatorHarness harness(WindowingStrategy<?, ?> windowing, OperatorHarness.Restore restore)
      throws Exception {
    return OperatorHarness.of(INPUT, GroupByKey.<String, Long>create())
        .windowing(windowing)
        .restore(restore)
        .build();
  }

  @Test
  public void aWindowFiresTheMomentTheWatermarkPassesItAndHoldsTheOutputWatermarkUntilThen()
      throws Exception {
    for (OperatorHarness.Restore restore : OperatorHarness.Restore.values()) {
      try (OperatorHarness h =
          harness(WindowingStrategy.of(FixedWindows.of(Duration.millis(10))), restore)) {
        h.element(KV.of("a", 1L), new Instant(1)).element(KV.of("a", 2L), new Instant(8));
        h.element(KV.of("b", 5L), new Instant(12)).watermark(new Instant(5));
        assertEquals(List.of(), h.takeValues());
        assertTrue("held at the window's end", !h.outputWatermark().isAfter(new Instant(9)));
        h.watermark(new Instant(10));
        List<WindowedValue<?>> fired = h.takeOutput();
        assertEquals(1, fired.size());
        assertEquals(KV.of("a", List.of(1L, 2L)), asList(fired.get(0).getValue()));
        assertEquals(PaneInfo.Timing.ON_TIME, fired.get(0).getPaneInfo().getTiming());
        assertEquals(new Instant(9), fired.get(0).getTimestamp());
        h.watermark(new Instant(30));
        assertEquals(List.of(KV.of("b", List.of(5L))), asLists(h.takeValues()));
        assertEquals(new Instant(30), h.outputWatermark());
        assertEquals(restore != OperatorHarness.Restore.NEVER ? 6 : 0, h.restores());
      }
    }
  }

  @Test
  public void aLateElementIsDroppedWithoutAllowedLateness() throws Exception {
    for (OperatorHarness.Restore restore : OperatorHarness.Restore.values()) {
      try (OperatorHarness h =
          harness(WindowingStrategy.of(FixedWindows.of(Duration.millis(10))), restore)) {
        h.element(KV.of("a", 1L), new Instant(1)).watermark(new Instant(20));
        assertEquals(List.of(KV.of("a", List.of(1L))), asLists(h.takeValues()));
        h.element(KV.of("a", 100L), new Instant(5)).watermark(new Instant(40));
        assertEquals(List.of(), h.takeValues());
      }
    }
  }

  @Test
  public void aSessionMergedWithALateElementFiresALatePane() throws Exception {
    WindowingStrategy<?, ?> sessions =
        WindowingStrategy.of(Sessions.withGapDuration(Duration.millis(10)))
            .withTrigger(
                AfterWatermark.pastEndOfWindow().withLateFirings(AfterPane.elementCountAtLeast(1)))
            .withAllowedLateness(Duration.millis(100))
            .withMode(WindowingStrategy.AccumulationMode.DISCARDING_FIRED_PANES);
    for (OperatorHarness.Restore restore : OperatorHarness.Restore.values()) {
      try (OperatorHarness h = harness(sessions, restore)) {
        h.element(KV.of("a", 1L), new Instant(0)).watermark(new Instant(20));
        assertEquals(
            PaneInfo.Timing.ON_TIME, h.takeOutput().get(0).getPaneInfo().getTiming());
        h.element(KV.of("a", 2L), new Instant(5)).watermark(new Instant(25));
        List<WindowedValue<?>> late = h.takeOutput();
        assertEquals(1, late.size());
        assertEquals(PaneInfo.Timing.LATE, late.get(0).getPaneInfo().getTiming());
      }
    }
  }

  /**
   * A bounded run groups merging windows itself (one {@code mergeWindows} per key, holds merged as
   * {@code WatermarkHold} merges them); what it outputs must equal what {@code ReduceFnRunner}
   * outputs for the same input, for every timestamp combiner.
   */
  @Test
  public void boundedSessionsGroupedDirectlyEqualReduceFnRunner() throws Exception {
    for (TimestampCombiner combiner : TimestampCombiner.values()) {
      WindowingStrategy<?, ?> sessions =
          WindowingStrategy.of(Sessions.withGapDuration(Duration.millis(10)))
              .withTimestampCombiner(combiner);
      assertTrue("a bounded run groups sessions directly", GroupByKeyOperator.isDirectlyGroupable(sessions));
      List<String> direct = sessionPanes(OperatorHarness.of(INPUT, GroupByKey.<String, Long>create())
          .windowing(sessions).bounded().build());
      List<String> reduceFn = sessionPanes(OperatorHarness.of(INPUT, GroupByKey.<String, Long>create())
          .windowing(sessions).build());
      assertEquals(combiner.toString(), reduceFn, direct);
      assertEquals(combiner + ": " + direct, 4, direct.size());
    }
  }

  /** Sessions of "a" at [0, 24) (three merged), [40, 50), and of "b" at [3, 13) and [30, 40). */
  private static List<String> sessionPanes(OperatorHarness h) throws Exception {
    try (h) {
      h.element(KV.of("a", 1L), new Instant(0)).element(KV.of("b", 7L), new Instant(3));
      h.element(KV.of("a", 3L), new Instant(14)).element(KV.of("a", 2L), new Instant(7));
      h.element(KV.of("a", 4L), new Instant(40)).element(KV.of("b", 8L), new Instant(30));
      h.watermark(BoundedWindow.TIMESTAMP_MAX_VALUE);
      List<String> panes = new ArrayList<>();
      for (WindowedValue<?> pane : h.takeOutput()) {
        KV<String, List<Long>> kv = asList(pane.getValue());
        List<Long> values = new ArrayList<>(kv.getValue());
        Collections.sort(values); // a bag: ReduceFnRunner's merge order is its own
        panes.add(kv.getKey() + values + " in " + pane.getWindows() + " at " + pane.getTimestamp()
            + " " + pane.getPaneInfo().getTiming());
      }
      Collections.sort(panes);
      return panes;
    }
  }

  @SuppressWarnings("unchecked")
  private static KV<String, List<Long>> asList(Object kv) {
    KV<String, Iterable<Long>> grouped = (KV<String, Iterable<Long>>) kv;
    List<Long> values = new ArrayList<>();
    grouped.getValue().forEach(values::add);
    return KV.of(grouped.getKey(), values);
  }

  private static List<Object> asLists(List<Object> kvs) {
    List<Object> out = new ArrayList<>();
    for (Object kv : kvs) {
      out.add(asList(kv));
    }
    return out;
  }
}
