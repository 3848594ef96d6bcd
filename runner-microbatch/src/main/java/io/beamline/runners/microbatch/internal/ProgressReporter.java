package io.beamline.runners.microbatch.internal;

import io.beamline.sdk.EpochProgress;
import io.beamline.sdk.internal.metrics.RunMetrics;
import io.beamline.sdk.internal.state.RocksDbStore;
import java.util.Map;
import io.beamline.monitoring.ProgressDetails;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Turns what an epoch did into its {@link EpochProgress} (rows and rates, phase durations,
 * watermark, state size, late rows, backlog) and hands it to the run's progress consumer.
 *
 * <p>Threading: driver thread only.
 */
final class ProgressReporter {
  private final ProgressLog progress;
  private final RunMetrics metrics;
  private final @Nullable RocksDbStore rocksDb;
  private final String runId;
  private long previousStartNanos;
  private long lateRowsBefore;

  ProgressReporter(
      ProgressLog progress,
      RunMetrics metrics,
      @Nullable RocksDbStore rocksDb,
      String runId) {
    this.progress = progress;
    this.metrics = metrics;
    this.rocksDb = rocksDb;
    this.runId = runId;
  }

  /** What one finished epoch did. */
  record Epoch(
      long epoch,
      long startNanos,
      long endNanos,
      boolean replayed,
      long inputRows,
      Map<String, Long> durations,
      Instant watermark,
      long stateKeys,
      long stateCells,
      long stateBytes,
      long backlogBytes,
      long backlogRecords,
      Map<Integer, Long> stageRecords) {}

  void report(Epoch e) {
    long lateRows = metrics.lateRowsDropped();
    double sincePrevious =
        previousStartNanos == 0 ? 0 : (e.startNanos() - previousStartNanos) / 1e9;
    double duration = (e.endNanos() - e.startNanos()) / 1e9;
    progress.accept(
        new EpochProgress(
            runId,
            e.epoch(),
            java.time.Instant.now().minusNanos(System.nanoTime() - e.startNanos()).toString(),
            e.replayed(),
            e.inputRows(),
            sincePrevious > 0 ? e.inputRows() / sincePrevious : 0,
            duration > 0 ? e.inputRows() / duration : 0,
            e.durations(),
            describe(e.watermark()),
            e.stateKeys(),
            e.stateCells(),
            rocksDb == null ? e.stateBytes() : e.stateBytes() + rocksDb.approximateSizeBytes(),
            lateRows - lateRowsBefore,
            e.backlogBytes()),
        new ProgressDetails(null, null, stageFigures(e, duration), e.backlogRecords()));
    lateRowsBefore = lateRows;
    previousStartNanos = e.startNanos();
  }

  /** Rows per second each stage processed over the epoch. */
  private static Map<Integer, ProgressDetails.StageFigures> stageFigures(Epoch e, double seconds) {
    Map<Integer, ProgressDetails.StageFigures> figures = new java.util.HashMap<>();
    e.stageRecords()
        .forEach(
            (stage, records) ->
                figures.put(
                    stage,
                    new ProgressDetails.StageFigures(seconds > 0 ? records / seconds : 0, -1)));
    return figures;
  }

  /** A watermark as progress shows it: ISO-8601, or {@code -inf}/{@code +inf}. */
  static String describe(Instant watermark) {
    if (!watermark.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE)) {
      return "-inf";
    }
    if (!watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
      return "+inf";
    }
    return watermark.toString();
  }
}
