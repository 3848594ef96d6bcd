package io.beamline.sdk.internal.operators;

import static org.junit.Assert.assertEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;
import org.junit.Test;

/** The two halves of a lifted Combine.perKey (bounded runs), each driven alone. */
public class CombineOperatorsTest {
  private static final KvCoder<String, Long> INPUT =
      KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());

  @Test
  public void partialHalfWritesOneAccumulatorPerKeyAndWindowWhenTheBundleEnds() throws Exception {
    try (OperatorHarness h =
        OperatorHarness.of(INPUT, Combine.<String, Long, Long>perKey(Sum.ofLongs()))
            .bounded()
            .stage(name -> name.endsWith("/Partial"))
            .build()) {
      h.element(KV.of("a", 1L), new Instant(0)).element(KV.of("a", 2L), new Instant(0));
      h.element(KV.of("b", 5L), new Instant(0));
      assertEquals(List.of(), h.takeValues());
      h.finishBundle();
      Set<String> accumulators = new HashSet<>();
      for (Object kv : h.takeValues()) {
        KV<?, ?> acc = (KV<?, ?>) kv;
        accumulators.add(acc.getKey() + "=" + java.util.Arrays.toString((long[]) acc.getValue()));
      }
      assertEquals(Set.of("a=[3]", "b=[5]"), accumulators);
    }
  }

  @Test
  public void finalHalfMergesAccumulatorsAndEmitsAtTheEndOfTheRun() throws Exception {
    for (boolean restore : new boolean[] {false, true}) {
      try (OperatorHarness h =
          OperatorHarness.of(INPUT, Combine.<String, Long, Long>perKey(Sum.ofLongs()))
              .bounded()
              .stage(name -> name.equals("UnderTest"))
              .build()) {
        h.element(KV.of("a", new long[] {3}), new Instant(0));
        h.element(KV.of("a", new long[] {4}), new Instant(0));
        h.watermark(new Instant(10));
        assertEquals(List.of(), h.takeValues());
        h.watermark(BoundedWindow.TIMESTAMP_MAX_VALUE);
        assertEquals(List.of(KV.of("a", 7L)), h.takeValues());
      }
    }
  }
}
