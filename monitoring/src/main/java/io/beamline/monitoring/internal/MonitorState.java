package io.beamline.monitoring.internal;

import io.beamline.monitoring.Alert;
import io.beamline.monitoring.BoundedProgress;
import io.beamline.monitoring.CapacityReport;
import io.beamline.monitoring.EpochTuner;
import io.beamline.monitoring.EpochTuning;
import io.beamline.monitoring.JobDescription;
import io.beamline.monitoring.PlanDescription;
import io.beamline.monitoring.ProgressDetails;
import io.beamline.sdk.EpochProgress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.beam.sdk.metrics.MetricResults;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the monitor knows about a job: description, plan, state, progress history, alerts,
 * capacity, tuning, bounded progress and the source of Beam's metrics.
 *
 * <p>Threading: {@link #record} is called by the runner's driver thread (it alone touches the
 * evaluator, estimator and tuner); setters by the runner's threads; every reader by the HTTP
 * server's thread. History and alert events are guarded by {@code this}; the rest is published
 * through volatile fields holding immutable values.
 */
public final class MonitorState {
  private static final Logger LOG = LoggerFactory.getLogger("io.beamline.monitoring.JobMonitor");
  /** Progress records kept: 10 minutes of 1-second records, 2 of 200 ms epochs. */
  public static final int HISTORY = 600;
  static final int EVENTS = 100;

  private final JobDescription job;
  private final Instant startedAt = Instant.now();
  private final AlertThresholds thresholds;
  private final AlertEvaluator alerts;
  private final CapacityEstimator capacity;
  private final EpochTuner tuner;
  private final boolean autoTune;
  private final BoundedProgress bounded = new BoundedProgress();
  private final Deque<ProgressPoint> history = new ArrayDeque<>();
  private final Deque<AlertEvent> events = new ArrayDeque<>();
  private long seq;
  private long inputRowsTotal;
  private long lateRowsTotal;
  private volatile PlanDescription plan = PlanDescription.empty();
  private volatile String state = "RUNNING";
  private volatile @Nullable Supplier<MetricResults> metrics;
  private volatile List<Alert> active = List.of();
  private volatile @Nullable CapacityReport capacityReport;

  public MonitorState(
      JobDescription job,
      AlertThresholds thresholds,
      CapacityEstimator capacity,
      EpochTuner tuner,
      boolean autoTune) {
    this.job = job;
    this.thresholds = thresholds;
    this.alerts = new AlertEvaluator(thresholds);
    this.capacity = capacity;
    this.tuner = tuner;
    this.autoTune = autoTune;
  }

  /**
   * Takes a progress record: evaluates the alerts (logging each raise and clear once at WARN),
   * updates the capacity report, lets the tuner choose the next epoch's settings, keeps the
   * record. Returns the fields to add to the record's JSON line: {@code alerts} (names of the
   * active alerts), {@code capacity} (once known) and {@code tuning} (with auto-tuning).
   */
  public Map<String, Object> record(EpochProgress p, ProgressDetails details) {
    EpochTuning ranWith = tuner.current();
    long interval = job.batchIntervalMillis() > 0 ? ranWith.batchIntervalMillis() : 0;
    List<AlertEvaluator.Change> changes =
        alerts.observe(new AlertEvaluator.Observation(p, interval, details.backlogRows()));
    for (AlertEvaluator.Change change : changes) {
      Alert a = change.alert();
      if (change.raised()) {
        LOG.warn("Alert {} raised after epoch {}: {}", a.name(), p.epoch(), a.message());
      } else {
        LOG.warn("Alert {} cleared after epoch {} (raised after epoch {})", a.name(), p.epoch(), a.sinceEpoch());
      }
    }
    List<Alert> nowActive = alerts.active();
    active = List.copyOf(nowActive);
    capacity.observe(p, interval);
    CapacityReport report = capacity.report();
    capacityReport = report;
    tuner.next(p);
    List<String> names = nowActive.stream().map(Alert::name).toList();
    double ratio = interval > 0 ? Epochs.busyMillis(p) / (double) interval : Double.NaN;
    synchronized (this) {
      for (AlertEvaluator.Change change : changes) {
        Alert a = change.alert();
        events.addLast(new AlertEvent(a.name(), change.raised(), p.epoch(), p.timestamp(), a.message()));
        if (events.size() > EVENTS) {
          events.removeFirst();
        }
      }
      history.addLast(
          new ProgressPoint(
              ++seq,
              p,
              details,
              interval,
              ranWith.maxRecordsPerEpoch(),
              ratio,
              Epochs.watermarkLagSeconds(p),
              names));
      if (history.size() > HISTORY) {
        history.removeFirst();
      }
      inputRowsTotal += p.inputRows();
      lateRowsTotal += p.lateRowsDropped();
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("alerts", names);
    if (report != null) {
      extra.put(
          "capacity",
          Map.of(
              "rowsPerSecondPerCore", round(report.rowsPerSecondPerCore()),
              "coresNeeded", round(report.coresNeeded()),
              "coresWithHeadroom", round(report.coresWithHeadroom())));
    }
    if (autoTune) {
      EpochTuning next = tuner.current();
      extra.put(
          "tuning",
          Map.of(
              "batchIntervalMs", next.batchIntervalMillis(),
              "maxRecordsPerBatch", next.maxRecordsPerEpoch()));
    }
    return extra;
  }

  private static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 100) / 100.0 : v;
  }

  public JobDescription job() {
    return job;
  }

  public AlertThresholds thresholds() {
    return thresholds;
  }

  public Instant startedAt() {
    return startedAt;
  }

  public boolean autoTune() {
    return autoTune;
  }

  public EpochTuner tuner() {
    return tuner;
  }

  public BoundedProgress bounded() {
    return bounded;
  }

  public PlanDescription plan() {
    return plan;
  }

  public void setPlan(PlanDescription plan) {
    this.plan = plan;
  }

  public String state() {
    return state;
  }

  public void setState(String state) {
    this.state = state;
  }

  public @Nullable MetricResults metrics() {
    Supplier<MetricResults> m = metrics;
    return m == null ? null : m.get();
  }

  public void setMetrics(Supplier<MetricResults> metrics) {
    this.metrics = metrics;
  }

  public List<Alert> activeAlerts() {
    return active;
  }

  public @Nullable CapacityReport capacity() {
    return capacityReport;
  }

  /** Records with {@code seq > after}, oldest first, at most the last {@code limit} of them. */
  public synchronized List<ProgressPoint> recent(long after, int limit) {
    List<ProgressPoint> out = new ArrayList<>();
    for (ProgressPoint p : history) {
      if (p.seq() > after) {
        out.add(p);
      }
    }
    return out.size() <= limit ? out : new ArrayList<>(out.subList(out.size() - limit, out.size()));
  }

  public synchronized @Nullable ProgressPoint latest() {
    return history.peekLast();
  }

  public synchronized List<AlertEvent> alertEvents() {
    return new ArrayList<>(events);
  }

  public synchronized long epochs() {
    return seq;
  }

  public synchronized long inputRowsTotal() {
    return inputRowsTotal;
  }

  public synchronized long lateRowsTotal() {
    return lateRowsTotal;
  }
}
