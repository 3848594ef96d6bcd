package io.beamline.runners.realtime.internal;

import io.beamline.sdk.internal.exchange.KeyedElement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * End-to-end latencies of a run in 1 ms buckets up to 10 s (later ones in the last bucket), for
 * progress reports: tasks {@link #record} as elements finish, the reporter takes {@link #snapshot}s
 * and reads percentiles of the difference between two.
 *
 * <p>Threading: {@link #record} from any task thread (atomic per bucket); {@link #snapshot} from the
 * reporter.
 */
final class LatencyHistogram {
  static final int BUCKETS = 10_001;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

  /** Elements with older timestamps (replays, bounded data) are not counted as latency. */
  private static final long HORIZON_MILLIS = TimeUnit.HOURS.toMillis(1);

  void record(long millis) {
    counts.incrementAndGet((int) Math.max(0, Math.min(BUCKETS - 1, millis)));
  }

  /**
   * Records the end-to-end latency of an element that went through its last stage — now minus its
   * timestamp — if the timestamp lies within the last hour.
   *
   * @param element a {@code WindowedValue}, or a {@code KeyedElement} holding one
   */
  void recordFinished(Object element) {
    WindowedValue<?> value =
        element instanceof KeyedElement keyed ? keyed.value() : (WindowedValue<?>) element;
    long now = System.currentTimeMillis();
    long timestamp = value.getTimestamp().getMillis();
    if (timestamp <= now && timestamp >= now - HORIZON_MILLIS) {
      record(now - timestamp);
    }
  }

  long[] snapshot() {
    long[] copy = new long[BUCKETS];
    for (int i = 0; i < BUCKETS; i++) {
      copy[i] = counts.get(i);
    }
    return copy;
  }

  /**
   * The nearest-rank {@code percentile} (0–100) in ms of what was recorded between two snapshots,
   * or -1 if nothing was.
   */
  static long percentile(long[] before, long[] after, double percentile) {
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      total += after[i] - before[i];
    }
    if (total == 0) {
      return -1;
    }
    long rank = Math.max(1, (long) Math.ceil(percentile / 100.0 * total));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += after[i] - before[i];
      if (seen >= rank) {
        return i;
      }
    }
    return BUCKETS - 1;
  }
}
