package io.beamline.sdk.internal.operators;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Sessions;
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
