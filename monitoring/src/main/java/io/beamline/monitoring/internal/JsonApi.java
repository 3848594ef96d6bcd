package io.beamline.monitoring.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.monitoring.Alert;
import io.beamline.monitoring.BoundedProgress;
import io.beamline.monitoring.CapacityReport;
import io.beamline.monitoring.EpochTuning;
import io.beamline.monitoring.ProgressDetails;
import io.beamline.sdk.EpochProgress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.GaugeResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The JSON documents of the API ({@code /api/job}, {@code /api/plan}, {@code /api/progress},
 * {@code /api/alerts}, {@code /api/metrics}); their fields are listed in docs/ui.md. Numbers that
 * are not finite (an unknown ratio, an infinite watermark) are written as {@code null}, since JSON
 * has no NaN.
 *
 * <p>Threading: called on the HTTP server's thread; reads {@link MonitorState}'s snapshots.
 */
public final class JsonApi {
  static final ObjectMapper JSON = new ObjectMapper();

  private final MonitorState state;

  public JsonApi(MonitorState state) {
    this.state = state;
  }

  /** The job: description, state, tuning, capacity, active alerts, bounded progress. */
  public ObjectNode job() {
    ObjectNode n = JSON.createObjectNode();
    n.put("name", state.job().name());
    n.put("runner", state.job().runner());
    n.put("bounded", state.job().bounded());
    n.put("parallelism", state.job().parallelism());
    n.put("state", state.state());
    n.put("startedAt", state.startedAt().toString());
    n.put("uptimeSeconds", Duration.between(state.startedAt(), Instant.now()).toMillis() / 1000.0);
    n.put("epochs", state.epochs());
    n.put("autoTune", state.autoTune());
    if (state.job().batchIntervalMillis() > 0) {
      ObjectNode configured = n.putObject("configured");
      configured.put("batchIntervalMs", state.job().batchIntervalMillis());
      configured.put("maxRecordsPerBatch", state.job().maxRecordsPerEpoch());
      EpochTuning now = state.tuner().current();
      ObjectNode tuning = n.putObject("tuning");
      tuning.put("batchIntervalMs", now.batchIntervalMillis());
      tuning.put("maxRecordsPerBatch", now.maxRecordsPerEpoch());
    }
    CapacityReport c = state.capacity();
    if (c != null) {
      ObjectNode cap = n.putObject("capacity");
      num(cap, "rowsPerSecondPerCore", c.rowsPerSecondPerCore());
      cap.put("cores", c.cores());
      num(cap, "targetRowsPerSecond", c.targetRowsPerSecond());
      num(cap, "processingRatio", c.processingRatio());
      num(cap, "coresNeeded", c.coresNeeded());
      num(cap, "headroom", c.headroom());
      num(cap, "coresWithHeadroom", c.coresWithHeadroom());
      cap.put("epochs", c.epochs());
    }
    n.set("alerts", alerts(state.activeAlerts()));
    n.set("thresholds", JSON.valueToTree(state.thresholds()));
    BoundedProgress bounded = state.bounded();
    if (bounded.started()) {
      BoundedProgress.Snapshot s = bounded.snapshot();
      ObjectNode b = n.putObject("boundedProgress");
      b.put("rows", s.rows());
      b.put("bytesRead", s.bytesRead());
      b.put("estimatedBytes", s.estimatedBytes());
      b.put("elapsedMs", s.elapsedMillis());
      if (s.etaMillis() >= 0) {
        b.put("etaMs", s.etaMillis());
      } else {
        b.putNull("etaMs");
      }
      num(b, "fraction", s.fraction() >= 0 ? s.fraction() : Double.NaN);
      b.put("finished", s.finished());
    }
    return n;
  }

  /** The plan: stages and exchanges. */
  public ObjectNode plan() {
    return JSON.valueToTree(state.plan());
  }

  /**
   * Progress records after cursor {@code after} (a {@code seq}), at most {@code limit}, plus the
   * latest record.
   */
  public ObjectNode progress(long after, int limit) {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode points = n.putArray("points");
    long last = after;
    for (ProgressPoint p : state.recent(after, limit)) {
      points.add(point(p));
      last = p.seq();
    }
    ProgressPoint latest = state.latest();
    if (latest != null) {
      n.set("latest", point(latest));
      last = Math.max(last, latest.seq());
    } else {
      n.putNull("latest");
    }
    n.put("lastSeq", last);
    return n;
  }

  /** Active alerts and the log of raises and clears. */
  public ObjectNode alerts() {
    ObjectNode n = JSON.createObjectNode();
    n.set("active", alerts(state.activeAlerts()));
    n.set("events", JSON.valueToTree(state.alertEvents()));
    return n;
  }

  /** Beam's metrics: counters, distributions and gauges, attempted and committed. */
  public ObjectNode metrics() {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode counters = n.putArray("counters");
    ArrayNode distributions = n.putArray("distributions");
    ArrayNode gauges = n.putArray("gauges");
    MetricResults results = state.metrics();
    if (results == null) {
      return n;
    }
    MetricQueryResults all = results.allMetrics();
    for (MetricResult<Long> c : all.getCounters()) {
      ObjectNode m = metric(counters, c);
      m.put("attempted", c.getAttempted());
      Long committed = committed(c);
      if (committed != null) {
        m.put("committed", committed);
      }
    }
    for (MetricResult<DistributionResult> d : all.getDistributions()) {
      ObjectNode m = metric(distributions, d);
      DistributionResult v = d.getAttempted();
      m.put("count", v.getCount());
      m.put("sum", v.getSum());
      if (v.getCount() > 0) {
        m.put("min", v.getMin());
        m.put("max", v.getMax());
        num(m, "mean", v.getMean());
      }
    }
    for (MetricResult<GaugeResult> g : all.getGauges()) {
      ObjectNode m = metric(gauges, g);
      m.put("value", g.getAttempted().getValue());
      m.put("timestamp", g.getAttempted().getTimestamp().toString());
    }
    return n;
  }

  private static <T> @Nullable T committed(MetricResult<T> r) {
    try {
      return r.getCommitted();
    } catch (UnsupportedOperationException e) {
      return null;
    }
  }

  private static ObjectNode metric(ArrayNode into, MetricResult<?> r) {
    ObjectNode m = into.addObject();
    m.put("namespace", r.getName().getNamespace());
    m.put("name", r.getName().getName());
    m.put("step", r.getKey().stepName());
    return m;
  }

  private static ArrayNode alerts(java.util.List<Alert> alerts) {
    ArrayNode a = JSON.createArrayNode();
    for (Alert alert : alerts) {
      ObjectNode n = a.addObject();
      n.put("name", alert.name());
      n.put("message", alert.message());
      n.put("sinceEpoch", alert.sinceEpoch());
      n.put("sinceTimestamp", alert.sinceTimestamp());
      num(n, "value", alert.value());
      num(n, "threshold", alert.threshold());
    }
    return a;
  }

  /** One record: the runner's fields, then what the monitor derived, then optional details. */
  static ObjectNode point(ProgressPoint point) {
    EpochProgress p = point.progress();
    ObjectNode n = JSON.createObjectNode();
    n.put("seq", point.seq());
    n.put("epoch", p.epoch());
    n.put("timestamp", p.timestamp());
    n.put("replayed", p.replayed());
    n.put("inputRows", p.inputRows());
    num(n, "inputRowsPerSecond", p.inputRowsPerSecond());
    num(n, "processedRowsPerSecond", p.processedRowsPerSecond());
    ObjectNode ms = n.putObject("durationMs");
    for (Map.Entry<String, Long> e : p.durationMs().entrySet()) {
      ms.put(e.getKey(), e.getValue());
    }
    n.put("busyMs", Epochs.busyMillis(p));
    n.put("watermark", p.watermark());
    num(n, "watermarkLagSeconds", point.watermarkLagSeconds());
    n.put("stateKeys", p.stateKeys());
    n.put("stateCells", p.stateCells());
    n.put("stateBytes", p.stateBytes());
    n.put("lateRowsDropped", p.lateRowsDropped());
    n.put("backlogBytes", p.backlogBytes());
    if (point.intervalMillis() > 0) {
      n.put("batchIntervalMs", point.intervalMillis());
      n.put("maxRecordsPerBatch", point.maxRecordsPerEpoch());
    }
    num(n, "processingRatio", point.processingRatio());
    ArrayNode alerts = n.putArray("alerts");
    point.alerts().forEach(alerts::add);
    ProgressDetails d = point.details();
    if (d.backlogRows() >= 0) {
      n.put("backlogRows", d.backlogRows());
    }
    if (d.latencyP50Millis() != null || d.latencyP99Millis() != null) {
      ObjectNode latency = n.putObject("latencyMs");
      num(latency, "p50", d.latencyP50Millis() == null ? Double.NaN : d.latencyP50Millis());
      num(latency, "p99", d.latencyP99Millis() == null ? Double.NaN : d.latencyP99Millis());
    }
    if (!d.stages().isEmpty()) {
      ObjectNode stages = n.putObject("stages");
      for (Map.Entry<Integer, ProgressDetails.StageFigures> e : d.stages().entrySet()) {
        ObjectNode s = stages.putObject(Integer.toString(e.getKey()));
        num(s, "rowsPerSecond", e.getValue().rowsPerSecond());
        if (e.getValue().queueOccupancy() >= 0) {
          num(s, "queueOccupancy", e.getValue().queueOccupancy());
        }
      }
    }
    return n;
  }

  private static void num(ObjectNode n, String field, double value) {
    if (Double.isFinite(value)) {
      n.put(field, value);
    } else {
      n.putNull(field);
    }
  }
}
