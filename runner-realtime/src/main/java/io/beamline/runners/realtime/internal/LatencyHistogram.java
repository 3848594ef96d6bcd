package io.beamline.runners.realtime.internal;

import java.util.concurrent.atomic.AtomicLongArray;

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

  void record(long millis) {
    counts.incrementAndGet((int) Math.max(0, Math.min(BUCKETS - 1, millis)));
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
