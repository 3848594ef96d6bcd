package io.beamline.examples;

import io.beamline.runners.microbatch.MicroBatchPipelineResult;
import io.beamline.runners.realtime.RealtimePipelineResult;
import io.beamline.runners.realtime.RealtimeProgress;
import io.beamline.sdk.EpochProgress;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import org.apache.beam.sdk.PipelineResult;

/**
 * What the streaming job follows of a run, whichever runner runs it: a console line per report
 * (an epoch on MicroBatchRunner, a progress interval on RealtimeRunner), the watermark that tells
 * the job every window is written, and the totals of its summary.
 *
 * <p>Threading: used by the job's thread only.
 */
abstract class JobProgress {

  /** The whole job's figures for the summary. */
  record Totals(int epochs, long firstEpoch, long lastEpoch, long rows, long late, String watermark) {}

  /** Prints a line for each report made since the last call. */
  abstract void printNew(PrintStream out);

  /** The latest report's watermark ({@link Instant#MIN} before the first). */
  abstract Instant watermark();

  /** Records the pipeline read in this run. */
  abstract long rowsThisRun();

  /** The whole job's totals: over every run on {@code checkpointDir} where there is one. */
  abstract Totals totals(Path checkpointDir);

  /**
   * Follows {@code result}.
   *
   * @throws IllegalStateException if {@code result} is of neither Beamline runner
   */
  static JobProgress of(PipelineResult result) {
    if (result instanceof MicroBatchPipelineResult microBatch) {
      return new Epochs(microBatch);
    }
    if (result instanceof RealtimePipelineResult realtime) {
      return new Intervals(realtime);
    }
    throw new IllegalStateException("expected a MicroBatchRunner or RealtimeRunner result, got " + result);
  }

  /** MicroBatchRunner: a line per epoch; totals over the checkpoint's {@code progress.jsonl}. */
  static final class Epochs extends JobProgress {
    private final MicroBatchPipelineResult result;
    final JobEpochs stats = new JobEpochs();

    Epochs(MicroBatchPipelineResult result) {
      this.result = result;
    }

    @Override
    void printNew(PrintStream out) {
      for (EpochProgress p : result.recentProgress()) {
        if (stats.accept(p)) {
          out.println(JobEpochs.line(p));
        }
      }
    }

    @Override
    Instant watermark() {
      return stats.last == null ? Instant.MIN : JobEpochs.watermark(stats.last.watermark());
    }

    @Override
    long rowsThisRun() {
      return stats.rows;
    }

    @Override
    Totals totals(Path checkpointDir) {
      JobEpochs job = JobEpochs.ofJob(checkpointDir.resolve("progress.jsonl"), stats);
      return new Totals(
          job.epochs, job.first, job.last == null ? -1 : job.last.epoch(), job.rows, job.late,
          job.last == null ? "-" : job.last.watermark());
    }
  }

  /** RealtimeRunner: a line per progress interval; the run is the whole job (no checkpoint). */
  static final class Intervals extends JobProgress {
    private final RealtimePipelineResult result;
    private RealtimeProgress last;
    private long rows;

    Intervals(RealtimePipelineResult result) {
      this.result = result;
    }

    @Override
    void printNew(PrintStream out) {
      for (RealtimeProgress p : result.recentProgress()) {
        if (last == null || p.interval() > last.interval()) {
          rows += p.inputRows();
          last = p;
          out.println(line(p));
        }
      }
    }

    @Override
    Instant watermark() {
      return last == null ? Instant.MIN : JobEpochs.watermark(last.watermark());
    }

    @Override
    long rowsThisRun() {
      return rows;
    }

    @Override
    Totals totals(Path checkpointDir) {
      return new Totals(0, -1, -1, rows, 0, last == null ? "-" : last.watermark());
    }

    /**
     * One line per interval: rows in and out, end-to-end latency where the elements' timestamps
     * are recent (a replay's departures are not), the fullest queue, the watermark.
     */
    static String line(RealtimeProgress p) {
      RealtimeProgress.Stage fullest = null;
      for (RealtimeProgress.Stage s : p.stages()) {
        if (s.queueCapacity() > 0
            && (fullest == null
                || s.queued() * fullest.queueCapacity() > fullest.queued() * s.queueCapacity())) {
          fullest = s;
        }
      }
      return String.format(
          Locale.ROOT,
          "%s: %5d rows in, %5d out, %6.0f rows/s%s, fullest queue %s, watermark %s",
          p.timestamp().length() >= 19 ? p.timestamp().substring(11, 19) : p.timestamp(),
          p.inputRows(),
          p.outputRows(),
          p.inputRowsPerSecond(),
          p.latencyP50Ms() < 0
              ? ""
              : ", latency p50 " + p.latencyP50Ms() + " ms p99 " + p.latencyP99Ms() + " ms",
          fullest == null
              ? "-"
              : String.format(
                  Locale.ROOT, "%d%% (%s)", 100 * fullest.queued() / fullest.queueCapacity(),
                  fullest.name()),
          p.watermark());
    }
  }
}
