package io.beamline.benchmarks;

import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;

/**
 * Exact percentiles of a sample, nearest-rank definition: the p-th percentile of n sorted values is the value at
 * rank {@code ceil(p / 100 * n)} (1-based), so p50 of {1, 2, 3, 4} is 2, p99 of 100 values is the 99th smallest
 * and p100 is the maximum. The samples here are small (at most some 10⁵ values), so they are kept and sorted.
 */
public final class Percentiles {

  private final double[] sorted;

  private Percentiles(double[] sorted) {
    this.sorted = sorted;
  }

  /** Percentiles of {@code values} (copied). */
  public static Percentiles of(double... values) {
    double[] copy = values.clone();
    Arrays.sort(copy);
    return new Percentiles(copy);
  }

  /** Percentiles of {@code values} (copied). */
  public static Percentiles of(long... values) {
    double[] copy = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      copy[i] = values[i];
    }
    Arrays.sort(copy);
    return new Percentiles(copy);
  }

  /** Percentiles of {@code values}. */
  public static Percentiles of(Collection<? extends Number> values) {
    double[] copy = new double[values.size()];
    int i = 0;
    for (Number n : values) {
      copy[i++] = n.doubleValue();
    }
    Arrays.sort(copy);
    return new Percentiles(copy);
  }

  /** Number of values. */
  public int count() {
    return sorted.length;
  }

  /**
   * The nearest-rank {@code p}-th percentile, {@code 0 < p <= 100}.
   *
   * @throws IllegalStateException if there are no values
   */
  public double percentile(double p) {
    if (!(p > 0 && p <= 100)) {
      throw new IllegalArgumentException("p must be in (0, 100], got " + p);
    }
    if (sorted.length == 0) {
      throw new IllegalStateException("no values");
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(1, Math.min(rank, sorted.length)) - 1];
  }

  /** The nearest-rank median (the lower middle value for an even count). */
  public double median() {
    return percentile(50);
  }

  public double max() {
    return percentile(100);
  }

  public double min() {
    if (sorted.length == 0) {
      throw new IllegalStateException("no values");
    }
    return sorted[0];
  }

  public double mean() {
    if (sorted.length == 0) {
      throw new IllegalStateException("no values");
    }
    double sum = 0;
    for (double v : sorted) {
      sum += v;
    }
    return sum / sorted.length;
  }

  /** Writes count, p50, p90, p99, max, min and mean into {@code node}; for the results' JSON. */
  void writeTo(com.fasterxml.jackson.databind.node.ObjectNode node) {
    node.put("count", count());
    node.put("p50", median());
    node.put("p90", percentile(90));
    node.put("p99", percentile(99));
    node.put("max", max());
    node.put("min", min());
    node.put("mean", mean());
  }

  /** {@code value} with {@code decimals} decimals, e.g. {@code fmt(1.234, 1)} is {@code 1.2}. */
  static String fmt(double value, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }
}
