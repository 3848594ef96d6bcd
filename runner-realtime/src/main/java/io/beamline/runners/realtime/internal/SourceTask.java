package io.beamline.runners.realtime.internal;

import io.beamline.sdk.internal.operators.Operator;
import io.beamline.sdk.io.AwaitingReader;
import io.beamline.sdk.io.OffsetRangeReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.WindowedValues;
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
 * <p>Without checkpoints (issue 11), readers' checkpoint marks are taken (a Kafka reader refreshes
 * idleness and its record budget then) but not finalized.
 *
 * <p>Threading: its own thread (see {@link TaskThread}).
 */
final class SourceTask extends TaskThread {
  private static final int BATCH = 256;
  private static final long WATERMARK_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long MARK_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  /** How long an idle task waits inside an {@link AwaitingReader} before it looks around again. */
  private static final long AWAIT_MILLIS = 1;

  private final SourceReader reader;
  private long lastWatermarkNanos;

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
    } finally {
      closeUninterrupted(reader);
    }
    advanceInputWatermark(BoundedWindow.TIMESTAMP_MAX_VALUE);
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

  /** Sub-sources of an unbounded source, each with a long-lived reader, read round-robin. */
  static SourceReader unbounded(List<UnboundedSource<?, ?>> splits, PipelineOptions options)
      throws IOException {
    List<UnboundedSource.UnboundedReader<?>> readers = new ArrayList<>();
    for (UnboundedSource<?, ?> split : splits) {
      readers.add(split.createReader(options, null));
    }
    return new SourceReader() {
      private final boolean[] started = new boolean[readers.size()];
      private final boolean[] finished = new boolean[readers.size()];
      private final long[] lastMarkNanos = new long[readers.size()];
      private int current = -1;
      private int cursor;
      private int live = readers.size();

      @Override
      public boolean next() throws IOException {
        for (int i = 0; i < readers.size() && live > 0; i++) {
          int r = cursor;
          cursor = (cursor + 1) % readers.size();
          if (finished[r]) {
            continue;
          }
          UnboundedSource.UnboundedReader<?> reader = readers.get(r);
          boolean available = started[r] ? reader.advance() : reader.start();
          started[r] = true;
          if (available) {
            current = r;
            cursor = r; // keep reading the same reader while it has records
            return true;
          }
          long now = System.nanoTime();
          if (now - lastMarkNanos[r] >= MARK_EVERY_NANOS) {
            lastMarkNanos[r] = now;
            reader.getCheckpointMark(); // not finalized: no checkpoints yet (issue 11)
          }
          if (!reader.getWatermark().isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
            finished[r] = true;
            live--;
          }
        }
        return false;
      }

      @Override
      public org.apache.beam.sdk.values.WindowedValue<?> current() {
        UnboundedSource.UnboundedReader<?> reader = readers.get(current);
        return WindowedValues.timestampedValueInGlobalWindow(
            reader.getCurrent(), reader.getCurrentTimestamp());
      }

      @Override
      public Instant watermark() {
        Instant min = BoundedWindow.TIMESTAMP_MAX_VALUE;
        Instant idleMax = BoundedWindow.TIMESTAMP_MIN_VALUE;
        boolean anyActive = false;
        for (int r = 0; r < readers.size(); r++) {
          if (finished[r]) {
            continue;
          }
          Instant watermark = readers.get(r).getWatermark();
          if (readers.get(r) instanceof OffsetRangeReader ranges && ranges.isIdle()) {
            idleMax = watermark.isAfter(idleMax) ? watermark : idleMax;
          } else {
            anyActive = true;
            min = watermark.isBefore(min) ? watermark : min;
          }
        }
        if (live == 0) {
          return BoundedWindow.TIMESTAMP_MAX_VALUE;
        }
        return anyActive ? min : idleMax;
      }

      /** Waits in the one live reader if it is an {@link AwaitingReader}; several are polled. */
      @Override
      public boolean awaitInput(long millis) throws IOException {
        if (live != 1) {
          return false;
        }
        for (int r = 0; r < readers.size(); r++) {
          if (!finished[r] && started[r] && readers.get(r) instanceof AwaitingReader awaiting) {
            awaiting.awaitRecords(millis);
            return true;
          }
        }
        return false;
      }

      @Override
      public boolean finished() {
        return live == 0;
      }

      @Override
      public void close() throws IOException {
        IOException failure = null;
        for (UnboundedSource.UnboundedReader<?> reader : readers) {
          try {
            reader.close();
          } catch (IOException e) {
            failure = failure == null ? e : failure;
          }
        }
        if (failure != null) {
          throw failure;
        }
      }
    };
  }
}
