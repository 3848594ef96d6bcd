package io.beamline.monitoring;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Progress of a bounded job: rows and bytes its sources have read against their estimated size.
 * The runner reports into it ({@link #addEstimatedBytes} when it splits a source, {@link #addRows}
 * and {@link #addBytes} while tasks read); the console, the JSON API and {@code /metrics} read
 * {@link #snapshot()}.
 *
 * <p>Threading: every method may be called from any thread; the counters are {@link LongAdder}s,
 * so tasks reporting in parallel do not contend.
 */
public final class BoundedProgress {
  private final LongSupplier clockNanos;
  private final long startNanos;
  private final LongAdder rows = new LongAdder();
  private final LongAdder bytes = new LongAdder();
  private final AtomicLong estimatedBytes = new AtomicLong();
  private volatile boolean started;
  private volatile long finishedNanos = -1;

  /** Progress measured from now, with {@link System#nanoTime()}. */
  public BoundedProgress() {
    this(System::nanoTime);
  }

  /** Progress measured from now on {@code clockNanos} (tests pass a controllable clock). */
  public BoundedProgress(LongSupplier clockNanos) {
    this.clockNanos = clockNanos;
    this.startNanos = clockNanos.getAsLong();
  }

  /**
   * Adds a source's estimated size ({@code BoundedSource#getEstimatedSizeBytes}); a negative value
   * (unknown) leaves the estimate as it is.
   */
  public void addEstimatedBytes(long bytes) {
    started = true;
    if (bytes > 0) {
      estimatedBytes.addAndGet(bytes);
    }
  }

  /** Counts rows read (elements a source emitted). */
  public void addRows(long count) {
    started = true;
    rows.add(count);
  }

  /**
   * Counts bytes read: for a source whose reader reports its fraction consumed, the growth of
   * {@code fraction x bundle's estimated size} since the last call.
   */
  public void addBytes(long count) {
    started = true;
    bytes.add(count);
  }

  /** Marks the job's reading as done (the bar shows 100% and stops). */
  public void finish() {
    finishedNanos = clockNanos.getAsLong();
  }

  /** True once the runner reported anything. */
  public boolean started() {
    return started;
  }

  /** The figures now. */
  public Snapshot snapshot() {
    long end = finishedNanos >= 0 ? finishedNanos : clockNanos.getAsLong();
    long elapsedMillis = (end - startNanos) / 1_000_000;
    long read = bytes.sum();
    long estimate = estimatedBytes.get();
    double fraction =
        finishedNanos >= 0 ? 1 : estimate > 0 ? Math.min(1, read / (double) estimate) : -1;
    long eta =
        finishedNanos >= 0
            ? 0
            : fraction > 0 && fraction < 1
                ? (long) (elapsedMillis * (1 - fraction) / fraction)
                : -1;
    return new Snapshot(rows.sum(), read, estimate, elapsedMillis, eta, fraction, finishedNanos >= 0);
  }

  /**
   * @param rows rows read
   * @param bytesRead bytes read (estimated from the readers' fraction consumed)
   * @param estimatedBytes the sources' estimated size, 0 if unknown
   * @param elapsedMillis since the job started (or until it finished)
   * @param etaMillis estimated time left, -1 if unknown
   * @param fraction bytes read over estimated size, 0 to 1, -1 if unknown
   * @param finished true once the runner called {@link #finish()}
   */
  public record Snapshot(
      long rows,
      long bytesRead,
      long estimatedBytes,
      long elapsedMillis,
      long etaMillis,
      double fraction,
      boolean finished) {}
}
