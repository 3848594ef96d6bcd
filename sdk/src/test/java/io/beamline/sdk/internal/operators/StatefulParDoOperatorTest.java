package io.beamline.sdk.internal.operators;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/** A stateful ParDo driven alone: state per key, event- and processing-time timers. */
public class StatefulParDoOperatorTest {

  /** Counts per key and window; emits the count when the window ends or 5 ms after the first. */
  static final class CountFn extends DoFn<KV<String, Long>, KV<String, Long>> {
    @StateId("count")
    private final StateSpec<ValueState<Long>> count = StateSpecs.value(VarLongCoder.of());

    @StateId("key")
    private final StateSpec<ValueState<String>> key = StateSpecs.value(StringUtf8Coder.of());

    @TimerId("end")
    private final TimerSpec end = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @TimerId("soon")
    private final TimerSpec soon = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

    @ProcessElement
    public void process(
        @Element KV<String, Long> element,
        BoundedWindow window,
        @StateId("count") ValueState<Long> count,
        @StateId("key") ValueState<String> key,
        @TimerId("end") Timer end,
        @TimerId("soon") Timer soon) {
      Long before = count.read();
      if (before == null) {
        soon.offset(Duration.millis(5)).setRelative();
      }
      count.write((before == null ? 0 : before) + element.getValue());
      key.write(element.getKey());
      end.set(window.maxTimestamp());
    }

    @OnTimer("end")
    public void onEnd(
        @StateId("count") ValueState<Long> count,
        @StateId("key") ValueState<String> key,
        OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of("end:" + key.read(), count.read()));
    }

    @OnTimer("soon")
    public void onSoon(
        @StateId("count") ValueState<Long> count,
        @StateId("key") ValueState<String> key,
        OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of("soon:" + key.read(), count.read()));
    }
  }

  @Test
  public void statePerKeyAndTimersFireAsTimeMovesAlsoAcrossRestores() throws Exception {
    for (OperatorHarness.Restore restore : OperatorHarness.Restore.values()) {
      try (OperatorHarness h =
          OperatorHarness.of(
                  KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()), ParDo.of(new CountFn()))
              .windowing(WindowingStrategy.of(FixedWindows.of(Duration.millis(10))))
              .restore(restore)
              .build()) {
        h.processingTime(new Instant(100));
        h.element(KV.of("a", 1L), new Instant(1)).element(KV.of("a", 2L), new Instant(3));
        h.element(KV.of("b", 7L), new Instant(4));
        assertEquals(2, h.stateKeys());
        h.processingTime(new Instant(105)); // due at 105: fires once processing time is past it
        assertEquals(List.of(), h.takeValues());
        h.processingTime(new Instant(106));
        // timers of different keys fire in no particular order (Beam promises none)
        assertEquals(Set.of(KV.of("soon:a", 3L), KV.of("soon:b", 7L)), Set.copyOf(h.takeValues()));
        h.element(KV.of("a", 4L), new Instant(5)).watermark(new Instant(9));
        assertEquals(List.of(), h.takeValues());
        h.watermark(new Instant(10));
        assertEquals(Set.of(KV.of("end:a", 7L), KV.of("end:b", 7L)), Set.copyOf(h.takeValues()));
      }
    }
  }
}
