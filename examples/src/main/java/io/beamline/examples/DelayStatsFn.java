package io.beamline.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/**
 * Combines departure delays (minutes) into {@link DelayStats}: count, exact sum, number delayed by
 * more than {@value #DELAYED_THRESHOLD_MINUTES} minutes, and the nearest-rank 90th percentile.
 *
 * <p>The result does not depend on how a runner splits and merges accumulators: the accumulator
 * holds integer counters and the multiset of delays, and the percentile is taken from the sorted
 * delays in {@link #extractOutput}. Memory is one {@code int} per flight in the group, which is
 * small for per-airport hourly or daily groups.
 */
public class DelayStatsFn extends CombineFn<Integer, DelayStatsFn.Accumulator, DelayStats> {

  /** A flight counts as delayed when its delay is strictly greater than this. */
  public static final int DELAYED_THRESHOLD_MINUTES = 15;

  /** The percentile reported as {@link DelayStats#p90DelayMinutes()}. */
  static final int PERCENTILE = 90;

  @Override
  public Accumulator createAccumulator() {
    return new Accumulator();
  }

  @Override
  public Accumulator addInput(Accumulator acc, Integer delayMinutes) {
    acc.add(delayMinutes);
    return acc;
  }

  @Override
  public Accumulator mergeAccumulators(Iterable<Accumulator> accumulators) {
    Accumulator merged = new Accumulator();
    for (Accumulator acc : accumulators) {
      merged.addAll(acc);
    }
    return merged;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalStateException if no delay was added (Combine.perKey never asks for that)
   */
  @Override
  public DelayStats extractOutput(Accumulator acc) {
    if (acc.count == 0) {
      throw new IllegalStateException("no flights in the group");
    }
    int[] sorted = Arrays.copyOf(acc.delays, acc.count);
    Arrays.sort(sorted);
    return new DelayStats(
        acc.count, acc.sumDelay, acc.delayedOver15, sorted[nearestRank(PERCENTILE, acc.count) - 1]);
  }

  /**
   * The 1-based nearest rank of percentile {@code p} among {@code n} sorted values: {@code ceil(p /
   * 100 * n)}, computed in integers because {@code 0.9 * 10} is 9.000000000000002 in doubles.
   */
  static int nearestRank(int p, int n) {
    return Math.max(1, (p * n + 99) / 100);
  }

  @Override
  public Coder<Accumulator> getAccumulatorCoder(CoderRegistry registry, Coder<Integer> inputCoder) {
    return AccumulatorCoder.INSTANCE;
  }

  @Override
  public Coder<DelayStats> getDefaultOutputCoder(
      CoderRegistry registry, Coder<Integer> inputCoder) {
    return DelayStats.CODER;
  }

  /** Mutable accumulator: exact counters and the delays seen so far (unordered). */
  public static final class Accumulator {
    private int count;
    private long sumDelay;
    private long delayedOver15;
    private int[] delays = new int[8];

    void add(int delayMinutes) {
      if (count == delays.length) {
        delays = Arrays.copyOf(delays, count * 2);
      }
      delays[count++] = delayMinutes;
      sumDelay += delayMinutes;
      if (delayMinutes > DELAYED_THRESHOLD_MINUTES) {
        delayedOver15++;
      }
    }

    void addAll(Accumulator other) {
      for (int i = 0; i < other.count; i++) {
        add(other.delays[i]);
      }
    }
  }

  /** Encodes the delays only; the counters are recomputed on decode. */
  private static final class AccumulatorCoder extends AtomicCoder<Accumulator> {
    static final AccumulatorCoder INSTANCE = new AccumulatorCoder();
    private static final VarIntCoder INT = VarIntCoder.of();

    @Override
    public void encode(Accumulator acc, OutputStream out) throws IOException {
      INT.encode(acc.count, out);
      for (int i = 0; i < acc.count; i++) {
        INT.encode(acc.delays[i], out);
      }
    }

    @Override
    public Accumulator decode(InputStream in) throws IOException {
      Accumulator acc = new Accumulator();
      int count = INT.decode(in);
      for (int i = 0; i < count; i++) {
        acc.add(INT.decode(in));
      }
      return acc;
    }
  }
}
