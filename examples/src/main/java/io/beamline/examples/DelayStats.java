package io.beamline.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * Departure-delay statistics of a group of flights (one origin airport in one window), as computed
 * by {@link DelayStatsFn}.
 *
 * <p>Only exact integers are stored; the mean and the share are derived from them and rounded to
 * {@link #SCALE} decimals with {@link RoundingMode#HALF_UP}, so every runner and every combine
 * order prints the same digits.
 *
 * @param flights number of flights, at least 1
 * @param sumDelayMinutes sum of the departure delays in minutes
 * @param delayedOver15 number of flights with a delay of more than 15 minutes
 * @param p90DelayMinutes 90th percentile of the delays, nearest-rank method
 */
public record DelayStats(
    long flights, long sumDelayMinutes, long delayedOver15, int p90DelayMinutes) {

  /** Decimals kept by {@link #meanDelayMinutes()} and {@link #delayedOver15Share()}. */
  public static final int SCALE = 4;

  /** The coder to set on every {@code PCollection} holding {@code DelayStats}. */
  public static final AtomicCoder<DelayStats> CODER = new DelayStatsCoder();

  /** Mean departure delay in minutes, rounded to {@link #SCALE} decimals. */
  public BigDecimal meanDelayMinutes() {
    return ratio(sumDelayMinutes, flights);
  }

  /** Share of the flights delayed by more than 15 minutes, in [0, 1], rounded. */
  public BigDecimal delayedOver15Share() {
    return ratio(delayedOver15, flights);
  }

  /**
   * Orders by exact mean delay without rounding: compares {@code sumA * countB} with {@code sumB *
   * countA}, which cannot overflow for any realistic data (sums and counts far below 2^31).
   */
  public int compareMeanDelay(DelayStats other) {
    return Long.compare(sumDelayMinutes * other.flights, other.sumDelayMinutes * flights);
  }

  private static BigDecimal ratio(long numerator, long denominator) {
    return BigDecimal.valueOf(numerator)
        .divide(BigDecimal.valueOf(denominator), SCALE, RoundingMode.HALF_UP);
  }

  private static final class DelayStatsCoder extends AtomicCoder<DelayStats> {
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();

    @Override
    public void encode(DelayStats stats, OutputStream out) throws IOException {
      LONG.encode(stats.flights(), out);
      LONG.encode(stats.sumDelayMinutes(), out);
      LONG.encode(stats.delayedOver15(), out);
      INT.encode(stats.p90DelayMinutes(), out);
    }

    @Override
    public DelayStats decode(InputStream in) throws IOException {
      return new DelayStats(LONG.decode(in), LONG.decode(in), LONG.decode(in), INT.decode(in));
    }
  }
}
