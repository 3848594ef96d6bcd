package io.beamline.io.lakehouse.testing;

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
 * A finite {@link UnboundedSource} of the numbers {@code [0, count)} for tests: split {@code k} of
 * {@code n} reads the numbers congruent to {@code k} mod {@code n} in order; number {@code i} has
 * event time {@code i} seconds after the Unix epoch; a reader's watermark is its last event time,
 * and +∞ after its last number, which ends a MicroBatchRunner run. The mark is the next number.
 */
public final class Numbers extends UnboundedSource<Long, Numbers.Mark> {
  private static final long serialVersionUID = 1L;
  private final long count;
  private final int splits;
  private final int split;

  public Numbers(long count) {
    this(count, 1, 0);
  }

  private Numbers(long count, int splits, int split) {
    this.count = count;
    this.splits = splits;
    this.split = split;
  }

  /** The next number a reader will read. */
  public static final class Mark implements UnboundedSource.CheckpointMark, Serializable {
    private static final long serialVersionUID = 1L;
    final long next;

    Mark(long next) {
      this.next = next;
    }

    @Override
    public void finalizeCheckpoint() {}
  }

  @Override
  public List<Numbers> split(int desiredNumSplits, PipelineOptions options) {
    int n = Math.max(1, desiredNumSplits);
    List<Numbers> result = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      result.add(new Numbers(count, n, k));
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
    private long current = -1;
    private boolean done;

    Reader(long next) {
      this.next = next;
    }

    @Override
    public boolean start() {
      return advance();
    }

    @Override
    public boolean advance() {
      if (next >= count) {
        done = true;
        current = -1;
        return false;
      }
      current = next;
      next += splits;
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
      return new Instant(getCurrent() * 1000);
    }

    @Override
    public Instant getWatermark() {
      if (done) {
        return BoundedWindow.TIMESTAMP_MAX_VALUE;
      }
      return current < 0 ? BoundedWindow.TIMESTAMP_MIN_VALUE : new Instant(current * 1000);
    }

    @Override
    public Mark getCheckpointMark() {
      return new Mark(next);
    }

    @Override
    public Numbers getCurrentSource() {
      return Numbers.this;
    }

    @Override
    public void close() {}
  }
}
