package io.beamline.sdk.internal.operators;

import static org.junit.Assert.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.splittabledofn.RestrictionTracker;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;
import org.junit.Test;

/** A splittable DoFn's ProcessElements driven alone: restrictions processed and resumed. */
public class ProcessElementsOperatorTest {

  /** Emits 0 … n-1 for element n, one offset at a time. */
  static final class CountTo extends DoFn<Integer, Integer> {
    @ProcessElement
    public void process(RestrictionTracker<OffsetRange, Long> tracker, OutputReceiver<Integer> out) {
      for (long i = tracker.currentRestriction().getFrom(); tracker.tryClaim(i); i++) {
        out.output((int) i);
      }
    }

    @GetInitialRestriction
    public OffsetRange initial(@Element Integer n) {
      return new OffsetRange(0, n);
    }
  }

  @Test
  public void everyOffsetOfEveryRestrictionIsOutputOnceAlsoAcrossRestores() throws Exception {
    for (boolean restore : new boolean[] {false, true}) {
      try (OperatorHarness h =
          OperatorHarness.of(VarIntCoder.of(), ParDo.of(new CountTo()))
              .stage(name -> name.contains("ProcessKeyedElements"))
              .restoreAfterEveryInput(restore)
              .build()) {
        h.element(KV.of(key("x"), KV.of(3, new OffsetRange(0, 3))), new Instant(0));
        h.element(KV.of(key("y"), KV.of(250, new OffsetRange(0, 250))), new Instant(0));
        // 100 outputs or 1 s per call, then the rest resumes by a processing-time timer
        for (int t = 1; t <= 5; t++) {
          h.processingTime(new Instant(t * 1_000));
        }
        h.watermark(org.apache.beam.sdk.transforms.windowing.BoundedWindow.TIMESTAMP_MAX_VALUE);
        List<Integer> out = new ArrayList<>();
        h.takeValues().forEach(v -> out.add((Integer) v));
        out.sort(null);
        List<Integer> expected = new ArrayList<>(List.of(0, 1, 2));
        for (int i = 0; i < 250; i++) {
          expected.add(i);
        }
        expected.sort(null);
        assertEquals(expected, out);
      }
    }
  }

  private static byte[] key(String k) {
    return k.getBytes(StandardCharsets.UTF_8);
  }
}
