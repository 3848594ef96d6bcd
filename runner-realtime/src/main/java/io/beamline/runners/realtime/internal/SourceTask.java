package io.beamline.runners.realtime.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.internal.operators.Operator;
import io.beamline.sdk.io.AwaitingReader;
import io.beamline.sdk.io.OffsetRangeReader;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.WindowedValues;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * A task of a source stage: reads its share of the source's splits continuously, emitting each
 * record into the stage as soon as it is read, and moves the stage's watermark in-band: a bounded
 * read's watermark is -∞ until all of its splits are read, then +∞; an unbounded read's is the
 * minimum of its readers' watermarks, leaving out readers that report themselves idle ({@link
 * OffsetRangeReader#isIdle}: an idle split does not hold the job back), sent at most once a
 * millisecond. A reader whose watermark is +∞ is finished (Beam's convention for an unbounded
 * source that ends). An {@code UnboundedReader}'s {@code advance} does not block by contract, so the
 * task polls it; with nothing to read it waits inside the reader if it is the task's only one and
 * an {@link AwaitingReader} (Kafka's: woken by the fetch response, no CPU spent meanwhile), and
 * otherwise backs off (yield, then park up to 1 ms).
 *
 * <p>A checkpoint barrier is taken between two records ({@link #barrierInjected}) by a task reading
 * unbounded splits, which logs their positions ({@link UnboundedSplits}); bounded reads and Impulse
 * cannot say "half read", so they take none and ack when they end.
 *
 * <p>Threading: its own thread (see {@link TaskThread}).
 */
final class SourceTask extends TaskThread {
  private static final int BATCH = 256;
  private static final long WATERMARK_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  /** How long an idle task waits inside an {@link AwaitingReader} before it looks around again. */
  private static final long AWAIT_MILLIS = 1;

  private final SourceReader reader;
  private long lastWatermarkNanos;
  /** The splits' positions when the reader finished, if it can log them. */
  private @Nullable List<ObjectNode> endPositions;
  /** The barrier of a replayed epoch, waiting until the epoch is read again. */
  private Channel.@Nullable Barrier replayBarrier;

  SourceTask(TaskThread.Parts parts, SourceReader reader) {
    super(parts);
    this.reader = reader;
  }

  @Override
  protected void body() throws Exception {
    Operator.Receiver output = task.sourceOutput();
    int idleRounds = 0;
    try (var scope = task.context().scopedMetrics(stage.source().stepName())) {
      while (!reader.finished()) {
        if (run.isStopped()) {
          throw new CancellationException("the run stopped");
        }
        tick();
        boolean progress = handleControl(inputWatermark);
        int batch = Math.min(BATCH, bundleRoom());
        for (int n = 0; n < batch && reader.next(); n++) {
          countSourceElement();
          org.apache.beam.sdk.values.WindowedValue<?> element = reader.current();
          output.accept(element);
          finished(element);
          progress = true;
        }
        if (replayBarrier != null && reader.replayDone()) {
          takeReplayBarrier();
        }
        boolean watermarkMoved = false;
        long now = System.nanoTime();
        if (reader.finished() || now - lastWatermarkNanos >= WATERMARK_EVERY_NANOS) {
          Instant watermark = reader.watermark();
          if (watermark.isAfter(inputWatermark)) {
            lastWatermarkNanos = now;
            advanceInputWatermark(watermark);
            watermarkMoved = true;
          }
        }
        if (shouldEndBundle(!progress, watermarkMoved)) {
          endBundle();
        }
        if (progress) {
          idleRounds = 0;
        } else if (reader.awaitInput(AWAIT_MILLIS)) {
          idleRounds = 0; // waited inside the reader's client, which wakes when records arrive
        } else if (++idleRounds < 10) {
          Thread.yield();
        } else {
          inbox.park(nanosToBundleEnd(Math.min(1_000_000L, 50_000L * idleRounds)));
        }
      }
      endPositions = reader.checkpoint(-1); // never finalized: the readers close now
    } finally {
      closeUninterrupted(reader);
    }
    advanceInputWatermark(BoundedWindow.TIMESTAMP_MAX_VALUE);
  }

  @Override
  protected void barrierInjected(Channel.Barrier barrier) throws Exception {
    if (reader.replaying()) {
      replayBarrier = barrier; // taken once the logged epoch is read again (see body)
      return;
    }
    List<ObjectNode> positions = reader.checkpoint(barrier.epoch());
    if (positions != null) {
      atBarrier(barrier, elementsIn(), positions);
    }
  }

  /** A replay's barrier, once everything of the logged epoch is read again. */
  private void takeReplayBarrier() throws Exception {
    Channel.Barrier barrier = replayBarrier;
    replayBarrier = null;
    List<ObjectNode> positions = reader.checkpoint(barrier.epoch());
    reader.endReplay();
    atBarrier(barrier, elementsIn(), positions);
  }

  @Override
  protected void checkpointCommitted(long epoch) throws Exception {
    reader.committed(epoch);
  }

  @Override
  protected @Nullable List<ObjectNode> endPositions() {
    return endPositions;
  }

  /**
   * Closes {@code reader} with this thread's interrupt flag cleared (and set again after): a
   * cancelled run interrupts its tasks, and a Kafka consumer closed while interrupted gives up
   * closing its fetcher and logs the interruption as an error.
   */
  private static void closeUninterrupted(SourceReader reader) throws IOException {
    boolean interrupted = Thread.interrupted();
    try {
      reader.close();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Reads the splits of one source task. */
  interface SourceReader {
    /** Reads the next record; false if none is available now (or the reader is finished). */
    boolean next() throws Exception;

    /** The record {@link #next} read, in the global window. */
    org.apache.beam.sdk.values.WindowedValue<?> current();

    Instant watermark();

    /**
     * With nothing to read: waits up to {@code millis} inside the reader for records to arrive
     * ({@link AwaitingReader}) and returns true; false at once if it cannot wait that way (the task
     * then backs off by itself).
     */
    default boolean awaitInput(long millis) throws IOException {
      return false;
    }

    boolean finished();

    /**
     * The position of every split at checkpoint {@code epoch}, in split order ({@link
     * UnboundedSplits#checkpoint}), or null if a checkpoint cannot be taken between two records (a
     * bounded read or Impulse: its task acks when it ended).
     */
    default @Nullable List<ObjectNode> checkpoint(long epoch) throws IOException {
      return null;
    }

    /** Checkpoint {@code epoch} is committed: the reader may finalize its marks up to it. */
    default void committed(long epoch) throws IOException {}

    /** True while the reader reads a logged epoch again ({@link UnboundedSplits#replaying}). */
    default boolean replaying() {
      return false;
    }

    /** During a replay: true once everything of the logged epoch was read again. */
    default boolean replayDone() {
      return true;
    }

    /** Ends a replay: reading goes on past the logged epoch. */
    default void endReplay() {}

    void close() throws IOException;
  }

  /** Impulse: one empty byte array on the task that holds the split. */
  static SourceReader impulse(boolean holdsSplit) {
    return new SourceReader() {
      private boolean pending = holdsSplit;
      private boolean done;

      @Override
      public boolean next() {
        if (!pending) {
          done = true;
          return false;
        }
        pending = false;
        return true;
      }

      @Override
      public org.apache.beam.sdk.values.WindowedValue<?> current() {
        return WindowedValues.valueInGlobalWindow(new byte[0]);
      }

      @Override
      public Instant watermark() {
        return done ? BoundedWindow.TIMESTAMP_MAX_VALUE : BoundedWindow.TIMESTAMP_MIN_VALUE;
      }

      @Override
      public boolean finished() {
        return done;
      }

      @Override
      public void close() {}
    };
  }

  /** Bounded splits, one after another, each with its own reader. */
  static SourceReader bounded(List<BoundedSource<?>> splits, PipelineOptions options) {
    return new SourceReader() {
      private int next;
      private BoundedSource.BoundedReader<?> reader;
      private boolean done = splits.isEmpty();

      @Override
      public boolean next() throws IOException {
        while (!done) {
          if (reader == null) {
            reader = splits.get(next++).createReader(options);
            if (reader.start()) {
              return true;
            }
          } else if (reader.advance()) {
            return true;
          }
          reader.close();
          reader = null;
          done = next >= splits.size();
        }
        return false;
      }

      @Override
      public org.apache.beam.sdk.values.WindowedValue<?> current() {
        return WindowedValues.timestampedValueInGlobalWindow(
            reader.getCurrent(), reader.getCurrentTimestamp());
      }

      @Override
      public Instant watermark() {
        return done ? BoundedWindow.TIMESTAMP_MAX_VALUE : BoundedWindow.TIMESTAMP_MIN_VALUE;
      }

      @Override
      public boolean finished() {
        return done;
      }

      @Override
      public void close() throws IOException {
        if (reader != null) {
          reader.close();
        }
      }
    };
  }
}
