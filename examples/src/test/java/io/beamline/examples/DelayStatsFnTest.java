package io.beamline.examples;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** Tests of {@link DelayStatsFn}: the nearest-rank p90 and independence from combine order. */
@RunWith(JUnit4.class)
public class DelayStatsFnTest {
  private final DelayStatsFn fn = new DelayStatsFn();

  private DelayStats stats(int... delays) {
    DelayStatsFn.Accumulator acc = fn.createAccumulator();
    for (int delay : delays) {
      acc = fn.addInput(acc, delay);
    }
    return fn.extractOutput(acc);
  }

  private static int[] oneTo(int n) {
    return IntStream.rangeClosed(1, n).toArray();
  }

  @Test
  public void p90IsTheNearestRank() {
    assertEquals(7, stats(7).p90DelayMinutes()); // rank ceil(0.9) = 1
    // ceil(0.9 * 10) = 9; a double computation gives ceil(9.000000000000002) = 10.
    assertEquals(9, stats(oneTo(10)).p90DelayMinutes());
    assertEquals(10, stats(oneTo(11)).p90DelayMinutes()); // ceil(9.9) = 10
    assertEquals(18, stats(oneTo(20)).p90DelayMinutes()); // ceil(18.0) = 18
    assertEquals(90, stats(oneTo(100)).p90DelayMinutes());
    assertEquals(91, stats(oneTo(101)).p90DelayMinutes()); // ceil(90.9) = 91
    // Unsorted input with negatives: sorted -9 -3 0 4 8, rank ceil(4.5) = 5 -> 8.
    assertEquals(8, stats(4, -3, 8, 0, -9).p90DelayMinutes());
  }

  @Test
  public void countsSumAndShareAreExact() {
    // 16 and 30 are over 15, 15 is not: 2 of 4. Sum 16 + 15 + 30 - 2 = 59 -> mean 14.75.
    DelayStats stats = stats(16, 15, 30, -2);
    assertEquals(new DelayStats(4, 59, 2, 30), stats);
    assertEquals("14.7500", stats.meanDelayMinutes().toPlainString());
    assertEquals("0.5000", stats.delayedOver15Share().toPlainString());
    assertEquals("0.6667", stats(20, 20, 1).delayedOver15Share().toPlainString());
  }

  @Test
  public void resultDoesNotDependOnSplitMergeOrEncoding() throws Exception {
    List<Integer> delays = new ArrayList<>();
    IntStream.rangeClosed(-20, 79).forEach(delays::add);
    // -20..79: sum 2950; 16..79 (64 delays) are over 15; rank 90 is -20 + 89 = 69.
    DelayStats expected = new DelayStats(100, 2950, 64, 69);
    Coder<DelayStatsFn.Accumulator> coder =
        fn.getAccumulatorCoder(CoderRegistry.createDefault(), VarIntCoder.of());
    Random random = new Random(42);
    for (int trial = 0; trial < 20; trial++) {
      Collections.shuffle(delays, random);
      List<DelayStatsFn.Accumulator> parts = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        parts.add(fn.createAccumulator());
      }
      for (int delay : delays) {
        DelayStatsFn.Accumulator part = parts.get(random.nextInt(parts.size()));
        fn.addInput(part, delay);
      }
      List<DelayStatsFn.Accumulator> decoded = new ArrayList<>();
      for (DelayStatsFn.Accumulator part : parts) {
        decoded.add(CoderUtils.clone(coder, part));
      }
      Collections.shuffle(decoded, random);
      assertEquals(expected, fn.extractOutput(fn.mergeAccumulators(decoded)));
    }
  }

  @Test
  public void nearestRankIsComputedInIntegers() {
    assertEquals(1, DelayStatsFn.nearestRank(90, 1));
    assertEquals(9, DelayStatsFn.nearestRank(90, 10));
    assertEquals(10, DelayStatsFn.nearestRank(90, 11));
    assertEquals(900, DelayStatsFn.nearestRank(90, 1000));
  }
}
