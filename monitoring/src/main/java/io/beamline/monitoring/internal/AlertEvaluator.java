package io.beamline.monitoring.internal;

import io.beamline.monitoring.Alert;
import io.beamline.sdk.EpochProgress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Computes the alerts of a job from its progress history, one record at a time: pure logic, no
 * clock and no I/O (the caller logs the changes it returns).
 *
 * <table>
 *   <caption>Rules</caption>
 *   <tr><th>alert</th><th>raised</th><th>cleared</th></tr>
 *   <tr><td>{@code processingRatio}</td><td>busy time / interval above the threshold for N
 *       epochs in a row</td><td>by N epochs in a row at or below it</td></tr>
 *   <tr><td>{@code backlog}</td><td>backlog rows / mean rows of the last 10 epochs with input above
 *       the threshold</td><td>at or below it (unknown backlog changes nothing)</td></tr>
 *   <tr><td>{@code lateRows}</td><td>an epoch dropped more late rows than the threshold</td>
 *       <td>after 10 epochs without</td></tr>
 *   <tr><td>{@code stateGrowth}</td><td>state rows grew by more than the fraction, N epochs in a
 *       row</td><td>by an epoch that did not</td></tr>
 *   <tr><td>{@code watermarkLag}</td><td>end of epoch minus watermark above the SLO</td><td>at or
 *       below it, or watermark +inf</td></tr>
 * </table>
 *
 * <p>Threading: not thread-safe; the monitor calls it on the runner's driver thread.
 */
public final class AlertEvaluator {
  static final int WINDOW = 10;

  /**
   * One progress record with what the evaluator needs besides it.
   *
   * @param progress the record
   * @param intervalMillis the batch interval the epoch ran with; 0 if the runner has none
   * @param backlogRows rows not yet read, -1 if unknown
   */
  public record Observation(EpochProgress progress, long intervalMillis, long backlogRows) {}

  /** An alert that was raised ({@code raised}) or cleared by the last observation. */
  public record Change(Alert alert, boolean raised) {}

  private final AlertThresholds thresholds;
  private final Map<String, Alert> active = new LinkedHashMap<>();
  private int overloadedInARow;
  private int calmInARow;
  private int growingInARow;
  private long previousStateRows = -1;
  private final Deque<Long> recentLate = new ArrayDeque<>();
  private final Deque<Long> recentRows = new ArrayDeque<>();

  public AlertEvaluator(AlertThresholds thresholds) {
    this.thresholds = thresholds;
  }

  /** Takes the next record; returns the alerts it raised or cleared, in rule order. */
  public List<Change> observe(Observation o) {
    List<Change> changes = new ArrayList<>();
    EpochProgress p = o.progress();
    processingRatio(o, changes);
    backlog(o, changes);
    lateRows(p, changes);
    stateGrowth(p, changes);
    watermarkLag(p, changes);
    return changes;
  }

  /** The active alerts, in the order they were raised. */
  public List<Alert> active() {
    return new ArrayList<>(active.values());
  }

  private void processingRatio(Observation o, List<Change> changes) {
    if (o.intervalMillis() <= 0) {
      return;
    }
    double ratio = Epochs.busyMillis(o.progress()) / (double) o.intervalMillis();
    if (ratio > thresholds.processingRatio()) {
      calmInARow = 0;
      overloadedInARow++;
      if (overloadedInARow >= thresholds.processingEpochs()) {
        raise(
            changes,
            o.progress(),
            Alert.PROCESSING_RATIO,
            ratio,
            thresholds.processingRatio(),
            String.format(
                Locale.ROOT,
                "processing took %.0f%% of the %s interval for %d epochs in a row (threshold"
                    + " %.0f%%): the job is near its capacity; raise --batchInterval, lower"
                    + " --maxRecordsPerBatch, add cores (see the capacity report) or run with"
                    + " --autoTune=true",
                ratio * 100,
                Durations.describe(o.intervalMillis()),
                overloadedInARow,
                thresholds.processingRatio() * 100));
      }
    } else {
      overloadedInARow = 0;
      // symmetric with raising: N calm epochs in a row, so that a job hovering at the threshold
      // does not raise and clear the alert every other epoch
      if (++calmInARow >= thresholds.processingEpochs()) {
        clear(changes, Alert.PROCESSING_RATIO);
      }
    }
  }

  private void backlog(Observation o, List<Change> changes) {
    long rows = o.progress().inputRows();
    if (rows > 0) {
      push(recentRows, rows);
    }
    if (o.backlogRows() < 0 || recentRows.isEmpty()) {
      return; // unknown: the alert keeps its state
    }
    double perEpoch = recentRows.stream().mapToLong(Long::longValue).average().orElse(1);
    double epochs = o.backlogRows() / Math.max(1, perEpoch);
    if (epochs > thresholds.backlogEpochs()) {
      raise(
          changes,
          o.progress(),
          Alert.BACKLOG,
          epochs,
          thresholds.backlogEpochs(),
          String.format(
              Locale.ROOT,
              "the sources' backlog is %,d rows, %.1f epochs of input (threshold %.0f): the job"
                  + " falls behind its input; add cores (see the capacity report) or raise"
                  + " --maxRecordsPerBatch",
              o.backlogRows(),
              epochs,
              thresholds.backlogEpochs()));
    } else {
      clear(changes, Alert.BACKLOG);
    }
  }

  private void lateRows(EpochProgress p, List<Change> changes) {
    push(recentLate, p.lateRowsDropped());
    long worst = recentLate.stream().mapToLong(Long::longValue).max().orElse(0);
    if (p.lateRowsDropped() > thresholds.lateRows()) {
      raise(
          changes,
          p,
          Alert.LATE_ROWS,
          p.lateRowsDropped(),
          thresholds.lateRows(),
          String.format(
              Locale.ROOT,
              "epoch %d dropped %,d rows as late (threshold %d): they arrived after the"
                  + " watermark passed their window plus the allowed lateness; raise the"
                  + " pipeline's allowed lateness or the source's out-of-orderness",
              p.epoch(),
              p.lateRowsDropped(),
              thresholds.lateRows()));
    } else if (worst <= thresholds.lateRows()) {
      clear(changes, Alert.LATE_ROWS);
    }
  }

  private void stateGrowth(EpochProgress p, List<Change> changes) {
    long rows = Epochs.stateRows(p);
    long previous = previousStateRows;
    previousStateRows = rows;
    if (previous < 0) {
      return;
    }
    double growth =
        previous == 0 ? (rows > 0 ? Double.POSITIVE_INFINITY : 0) : (rows - previous) / (double) previous;
    if (growth > thresholds.stateGrowth()) {
      growingInARow++;
      if (growingInARow >= thresholds.stateGrowthEpochs()) {
        raise(
            changes,
            p,
            Alert.STATE_GROWTH,
            growth,
            thresholds.stateGrowth(),
            String.format(
                Locale.ROOT,
                "state rows grew by more than %.0f%% per epoch for %d epochs in a row (now %,d):"
                    + " check that the watermark moves, so that windows close and their state is"
                    + " cleared, and that stateful DoFns clear what they no longer need",
                thresholds.stateGrowth() * 100,
                growingInARow,
                rows));
      }
    } else {
      growingInARow = 0;
      clear(changes, Alert.STATE_GROWTH);
    }
  }

  private void watermarkLag(EpochProgress p, List<Change> changes) {
    if (thresholds.watermarkLagMillis() < 0) {
      return;
    }
    double lag = Epochs.watermarkLagSeconds(p);
    if (Double.isNaN(lag)) {
      return; // no watermark yet
    }
    double slo = thresholds.watermarkLagMillis() / 1000.0;
    if (lag > slo) {
      raise(
          changes,
          p,
          Alert.WATERMARK_LAG,
          lag,
          slo,
          String.format(
              Locale.ROOT,
              "the watermark is %s behind the wall clock (SLO %s): results of event-time windows"
                  + " come that late; the job falls behind or a source partition is idle",
              Durations.describe(lag * 1000),
              Durations.describe(thresholds.watermarkLagMillis())));
    } else {
      clear(changes, Alert.WATERMARK_LAG);
    }
  }

  private void raise(
      List<Change> changes,
      EpochProgress p,
      String name,
      double value,
      double threshold,
      String message) {
    Alert existing = active.get(name);
    if (existing != null) {
      // keep when and by which epoch it was raised; refresh the figures
      active.put(
          name,
          new Alert(name, message, existing.sinceEpoch(), existing.sinceTimestamp(), value, threshold));
      return;
    }
    Alert alert = new Alert(name, message, p.epoch(), p.timestamp(), value, threshold);
    active.put(name, alert);
    changes.add(new Change(alert, true));
  }

  private void clear(List<Change> changes, String name) {
    Alert alert = active.remove(name);
    if (alert != null) {
      changes.add(new Change(alert, false));
    }
  }

  private static void push(Deque<Long> window, long value) {
    window.addLast(value);
    if (window.size() > WINDOW) {
      window.removeFirst();
    }
  }
}
