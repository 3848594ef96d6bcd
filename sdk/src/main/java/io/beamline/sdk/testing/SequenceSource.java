package io.beamline.sdk.testing;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * A deterministic {@link UnboundedSource} that ends: the numbers {@code [0, count)}, number {@code
 * i} with timestamp {@code i * 10 ms}. Split {@code k} of {@code n} reads the numbers congruent to
 * {@code k} mod {@code n}, in order; its checkpoint mark is the next number to read, so a reader
 * re-created from a mark continues exactly there. After its last number a reader's watermark is
 * +∞ (Beam's signal that an unbounded source is done).
 */
public final class SequenceSource extends UnboundedSource<Long, SequenceSource.Mark> {
  private final long count;
  private final int splits;
  private final int split;
  private final long ratePerSecond;

  public SequenceSource(long count) {
    this(count, 0);
  }

  /**
   * @param ratePerSecond numbers each reader makes available per second of wall-clock time from
   *     its start, 0 for no limit; availability depends on time, the numbers and their order do not
   */
  public SequenceSource(long count, long ratePerSecond) {
    this(count, 1, 0, ratePerSecond);
  }

  private SequenceSource(long count, int splits, int split, long ratePerSecond) {
    this.count = count;
    this.splits = splits;
    this.split = split;
    this.ratePerSecond = ratePerSecond;
  }

  /** The timestamp of number {@code i}. */
  public static Instant timestampOf(long i) {
    return new Instant(i * 10);
  }

  /** The next number a reader will read. */
  public static final class Mark implements UnboundedSource.CheckpointMark, Serializable {
    final long next;

    Mark(long next) {
      this.next = next;
    }

    @Override
    public void finalizeCheckpoint() {}
  }

  @Override
  public List<SequenceSource> split(int desiredNumSplits, PipelineOptions options) {
    List<SequenceSource> result = new ArrayList<>();
    for (int k = 0; k < desiredNumSplits; k++) {
      result.add(new SequenceSource(count, desiredNumSplits, k, ratePerSecond));
    }
    return result;
  }

  @Override
  public UnboundedReader<Long> createReader(PipelineOptions options, @Nullable Mark mark) {
    return new Reader(mark == null ? split : mark.next);
  }

  @Override
  public Coder<Mark> getCheckpointMarkCoder() {
    return SerializableCoder.of(Mark.class);
  }

  @Override
  public Coder<Long> getOutputCoder() {
    return VarLongCoder.of();
  }

  private final class Reader extends UnboundedReader<Long> {
    private long next;
    private @Nullable Long current;
    private long startNanos;
    private long emitted;

    Reader(long next) {
      this.next = next;
    }

    @Override
    public boolean start() {
      startNanos = System.nanoTime();
      return advance();
    }

    @Override
    public boolean advance() {
      if (next >= count) {
        current = null;
        return false;
      }
      if (ratePerSecond > 0
          && emitted >= (System.nanoTime() - startNanos) * ratePerSecond / 1_000_000_000L) {
        return false; // not available yet
      }
      emitted++;
      current = next;
      next += splits;
      return true;
    }

    @Override
    public Long getCurrent() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      return timestampOf(getCurrent());
    }

    @Override
    public Instant getWatermark() {
      if (next >= count) {
        return BoundedWindow.TIMESTAMP_MAX_VALUE;
      }
      return timestampOf(next).minus(org.joda.time.Duration.millis(1));
    }

    @Override
    public Mark getCheckpointMark() {
      return new Mark(next);
    }

    @Override
    public SequenceSource getCurrentSource() {
      return SequenceSource.this;
    }

    @Override
    public void close() throws IOException {}
  }
}
