package io.beamline.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * An {@link UnboundedSource} of the numbers {@code [0, count)} that ends, optionally rate-limited by the wall
 * clock, for streaming benchmarks on any runner.
 *
 * <ul>
 *   <li>Split {@code k} of {@code n} reads the numbers congruent to {@code k} mod {@code n}, in order. At most
 *       {@code maxSplits} splits are made (1 gives exactly one reader, whatever the runner's parallelism).
 *   <li>Rate limit ({@code ratePerSecond > 0}): a reader that started at wall-clock time {@code t0} makes its
 *       {@code m}-th number available at {@code t0 + m / (ratePerSecond / splits)}; {@code advance()} returns
 *       false until then. Each record's event timestamp is the wall-clock time it became available, so {@code
 *       now - timestamp} downstream is the end-to-end latency. Without a rate limit every number is available at
 *       once and its timestamp is the wall-clock time it was read.
 *   <li>After its last number a reader's watermark is +∞ (Beam's signal that an unbounded source is done; it
 *       ends the run on MicroBatchRunner, FlinkRunner and DirectRunner). Before that it is the timestamp of the
 *       last number read.
 *   <li>The checkpoint mark is the next number, how many the reader has emitted and its {@code t0}, so a reader
 *       re-created from a mark (DirectRunner does that now and then) continues the same schedule.
 * </ul>
 */
public final class FiniteUnboundedSource extends UnboundedSource<Long, FiniteUnboundedSource.Mark> {
  private static final long serialVersionUID = 1L;

  private final long count;
  private final double ratePerSecond;
  private final int maxSplits;
  private final int splits;
  private final int split;

  /**
   * @param count how many numbers, {@code [0, count)}
   * @param ratePerSecond numbers per second over all splits, 0 for no limit
   * @param maxSplits at most this many readers
   */
  public FiniteUnboundedSource(long count, double ratePerSecond, int maxSplits) {
    this(count, ratePerSecond, maxSplits, 1, 0);
  }

  private FiniteUnboundedSource(long count, double ratePerSecond, int maxSplits, int splits, int split) {
    if (count < 0 || ratePerSecond < 0 || maxSplits < 1) {
      throw new IllegalArgumentException(
          "count and ratePerSecond must be >= 0 and maxSplits >= 1, got " + count + ", " + ratePerSecond + ", "
              + maxSplits);
    }
    this.count = count;
    this.ratePerSecond = ratePerSecond;
    this.maxSplits = maxSplits;
    this.splits = splits;
    this.split = split;
  }

  /** Where a reader is: the next number, how many it emitted, and when it started (µs since the epoch). */
  public static final class Mark implements UnboundedSource.CheckpointMark, Serializable {
    private static final long serialVersionUID = 1L;
    final long next;
    final long emitted;
    final long startMicros;

    Mark(long next, long emitted, long startMicros) {
      this.next = next;
      this.emitted = emitted;
      this.startMicros = startMicros;
    }

    @Override
    public void finalizeCheckpoint() {}
  }

  /** Three var-longs; cheaper than Java serialization, which some runners pay per epoch. */
  static final class MarkCoder extends AtomicCoder<Mark> {
    private static final VarLongCoder LONG = VarLongCoder.of();

    @Override
    public void encode(Mark mark, OutputStream out) throws IOException {
      LONG.encode(mark.next, out);
      LONG.encode(mark.emitted, out);
      LONG.encode(mark.startMicros, out);
    }

    @Override
    public Mark decode(InputStream in) throws IOException {
      return new Mark(LONG.decode(in), LONG.decode(in), LONG.decode(in));
    }
  }

  @Override
  public List<FiniteUnboundedSource> split(int desiredNumSplits, PipelineOptions options) {
    int n = Math.max(1, Math.min(desiredNumSplits, maxSplits));
    List<FiniteUnboundedSource> result = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      result.add(new FiniteUnboundedSource(count, ratePerSecond, maxSplits, n, k));
    }
    return result;
  }

  @Override
  public UnboundedReader<Long> createReader(PipelineOptions options, @Nullable Mark mark) {
    return mark == null ? new Reader(split, 0, -1) : new Reader(mark.next, mark.emitted, mark.startMicros);
  }

  @Override
  public Coder<Mark> getCheckpointMarkCoder() {
    return new MarkCoder();
  }

  @Override
  public Coder<Long> getOutputCoder() {
    return VarLongCoder.of();
  }

  /** Wall-clock time in microseconds since the epoch. */
  static long nowMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  private final class Reader extends UnboundedReader<Long> {
    private final double microsPerRecord = ratePerSecond > 0 ? 1e6 * splits / ratePerSecond : 0;
    private long next;
    private long emitted;
    private long startMicros;
    private boolean done;
    private long current = -1;
    private long currentMillis;
    private long watermarkMillis = BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis();

    Reader(long next, long emitted, long startMicros) {
      this.next = next;
      this.emitted = emitted;
      this.startMicros = startMicros;
    }

    @Override
    public boolean start() {
      if (startMicros < 0) {
        startMicros = nowMicros();
      }
      return advance();
    }

    @Override
    public boolean advance() {
      if (next >= count) {
        done = true;
        current = -1;
        return false;
      }
      long timestampMillis;
      if (ratePerSecond > 0) {
        long availableMicros = startMicros + (long) (emitted * microsPerRecord);
        if (nowMicros() < availableMicros) {
          return false; // not available yet
        }
        timestampMillis = availableMicros / 1_000;
      } else {
        timestampMillis = System.currentTimeMillis();
      }
      current = next;
      currentMillis = Math.max(timestampMillis, watermarkMillis);
      watermarkMillis = currentMillis;
      next += splits;
      emitted++;
      return true;
    }

    @Override
    public Long getCurrent() {
      if (current < 0) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      if (current < 0) {
        throw new NoSuchElementException();
      }
      return new Instant(currentMillis);
    }

    @Override
    public Instant getWatermark() {
      return done ? BoundedWindow.TIMESTAMP_MAX_VALUE : new Instant(watermarkMillis);
    }

    @Override
    public Mark getCheckpointMark() {
      return new Mark(next, emitted, startMicros);
    }

    @Override
    public long getSplitBacklogBytes() {
      return Math.max(0, (count - next + splits - 1) / splits) * 8;
    }

    @Override
    public FiniteUnboundedSource getCurrentSource() {
      return FiniteUnboundedSource.this;
    }

    @Override
    public void close() {}
  }
}
