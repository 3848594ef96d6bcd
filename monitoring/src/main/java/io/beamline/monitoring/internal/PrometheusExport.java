package io.beamline.monitoring.internal;

import io.beamline.monitoring.Alert;
import io.beamline.monitoring.BoundedProgress;
import io.beamline.monitoring.CapacityReport;
import io.beamline.monitoring.PlanDescription;
import io.beamline.monitoring.ProgressDetails;
import io.beamline.sdk.EpochProgress;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.GaugeResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The job's figures as Prometheus metrics, built from {@link MonitorState} at each scrape (nothing
 * is computed between scrapes). Names follow Prometheus' conventions: snake case, base units
 * ({@code _seconds}, {@code _bytes}), {@code _total} on counters (added by the writer), {@code
 * beamline_} on the runner's figures and {@code beam_} on Beam's user metrics, whose namespace and
 * step are labels. The list is in docs/ui.md.
 *
 * <p>Threading: {@link #collect()} runs on the HTTP server's thread.
 */
public final class PrometheusExport implements MultiCollector {
  private static final Pattern NOT_NAME = Pattern.compile("[^a-zA-Z0-9_]+");
  private static final Pattern CAMEL = Pattern.compile("([a-z0-9])([A-Z])");
  private static final List<String> ALERTS =
      List.of(
          Alert.PROCESSING_RATIO, Alert.BACKLOG, Alert.LATE_ROWS, Alert.STATE_GROWTH,
          Alert.WATERMARK_LAG);

  private final MonitorState state;

  public PrometheusExport(MonitorState state) {
    this.state = state;
  }

  /** A registry with the job's metrics and the JVM's. */
  public static io.prometheus.metrics.model.registry.PrometheusRegistry registry(MonitorState state) {
    io.prometheus.metrics.model.registry.PrometheusRegistry registry =
        new io.prometheus.metrics.model.registry.PrometheusRegistry();
    registry.register(new PrometheusExport(state));
    registry.register(new JvmMetricsCollector());
    return registry;
  }

  @Override
  public MetricSnapshots collect() {
    List<MetricSnapshot> out = new ArrayList<>();
    job(out);
    ProgressPoint latest = state.latest();
    if (latest != null) {
      epoch(out, latest);
    }
    alerts(out);
    CapacityReport capacity = state.capacity();
    if (capacity != null) {
      gauge(out, "beamline_capacity_rows_per_second_per_core",
          "Rows processed per second of busy time per core, recent epochs",
          capacity.rowsPerSecondPerCore());
      gauge(out, "beamline_capacity_target_rows_per_second",
          "Rate the capacity report sizes for", capacity.targetRowsPerSecond());
      gauge(out, "beamline_capacity_cores_needed",
          "Cores that process the target rate in 50% of the interval", capacity.coresNeeded());
      gauge(out, "beamline_capacity_cores_with_headroom",
          "Cores needed plus the configured headroom", capacity.coresWithHeadroom());
    }
    bounded(out);
    beam(out, state.metrics());
    return new MetricSnapshots(out);
  }

  private void job(List<MetricSnapshot> out) {
    out.add(
        InfoSnapshot.builder()
            .name("beamline_job")
            .help("The job: its name and runner")
            .dataPoint(
                InfoSnapshot.InfoDataPointSnapshot.builder()
                    .labels(Labels.of("job", state.job().name(), "runner", state.job().runner()))
                    .build())
            .build());
    GaugeSnapshot.Builder states =
        GaugeSnapshot.builder().name("beamline_job_state").help("1 for the job's current state");
    for (String s : List.of("RUNNING", "DONE", "FAILED", "CANCELLED")) {
      states.dataPoint(point(Labels.of("state", s), s.equals(state.state()) ? 1 : 0));
    }
    out.add(states.build());
    gauge(out, "beamline_job_start_time_seconds", "When the job started, Unix time",
        state.startedAt().toEpochMilli() / 1000.0);
    counter(out, "beamline_epochs", "Progress records (epochs) reported by this process", state.epochs());
    counter(out, "beamline_input_rows", "Rows read from the sources by this process", state.inputRowsTotal());
    counter(out, "beamline_late_rows_dropped", "Rows dropped as late by this process", state.lateRowsTotal());
  }

  private void epoch(List<MetricSnapshot> out, ProgressPoint point) {
    EpochProgress p = point.progress();
    gauge(out, "beamline_epoch", "Number of the last reported epoch", p.epoch());
    gauge(out, "beamline_input_rows_per_second", "Input rate of the last epoch", p.inputRowsPerSecond());
    gauge(out, "beamline_processed_rows_per_second", "Processing rate of the last epoch",
        p.processedRowsPerSecond());
    GaugeSnapshot.Builder phases =
        GaugeSnapshot.builder()
            .name("beamline_epoch_duration_seconds")
            .help("Duration of the last epoch by phase (planOffsets, offsetLog, process, sinkCommit,"
                + " stateSnapshot, commit, total)");
    for (Map.Entry<String, Long> e : p.durationMs().entrySet()) {
      phases.dataPoint(point(Labels.of("phase", e.getKey()), e.getValue() / 1000.0));
    }
    out.add(phases.build());
    if (!Double.isNaN(point.processingRatio())) {
      gauge(out, "beamline_processing_ratio", "Busy time of the last epoch over its interval",
          point.processingRatio());
      gauge(out, "beamline_batch_interval_seconds", "Batch interval in force",
          point.intervalMillis() / 1000.0);
      gauge(out, "beamline_max_records_per_batch", "Records-per-epoch cap in force",
          point.maxRecordsPerEpoch());
    }
    long watermark = Epochs.watermarkMillis(p);
    if (watermark != Long.MIN_VALUE) {
      gauge(out, "beamline_watermark_timestamp_seconds", "Lowest output watermark, Unix time",
          watermark == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : watermark / 1000.0);
    }
    if (!Double.isNaN(point.watermarkLagSeconds())) {
      gauge(out, "beamline_watermark_lag_seconds", "End of the last epoch minus its watermark",
          point.watermarkLagSeconds());
    }
    gauge(out, "beamline_state_keys", "Keys with state or timers", p.stateKeys());
    gauge(out, "beamline_state_cells", "Non-empty state cells (state rows)", p.stateCells());
    gauge(
        out,
        "beamline_state_bytes",
        "Heap state bytes the last checkpoint wrote (a delta or a base)",
        p.stateBytes());
    if (p.backlogBytes() >= 0) {
      gauge(out, "beamline_backlog_bytes", "Bytes the sources report as not yet read", p.backlogBytes());
    }
    ProgressDetails d = point.details();
    if (d.backlogRows() >= 0) {
      gauge(out, "beamline_backlog_rows", "Rows the sources report as not yet read", d.backlogRows());
    }
    if (d.latencyP50Millis() != null) {
      gauge(out, "beamline_latency_p50_seconds", "Median end-to-end latency", d.latencyP50Millis() / 1000);
    }
    if (d.latencyP99Millis() != null) {
      gauge(out, "beamline_latency_p99_seconds", "99th percentile of end-to-end latency",
          d.latencyP99Millis() / 1000);
    }
    stages(out, d);
  }

  private void stages(List<MetricSnapshot> out, ProgressDetails d) {
    if (d.stages().isEmpty()) {
      return;
    }
    Map<Integer, String> names = new HashMap<>();
    for (PlanDescription.StageNode s : state.plan().stages()) {
      names.put(s.id(), s.name());
    }
    GaugeSnapshot.Builder rates =
        GaugeSnapshot.builder().name("beamline_stage_rows_per_second").help("Rows per second by stage");
    GaugeSnapshot.Builder queues =
        GaugeSnapshot.builder()
            .name("beamline_stage_queue_occupancy_ratio")
            .help("Fill of the stage's input queues, 0 to 1");
    boolean anyQueue = false;
    for (Map.Entry<Integer, ProgressDetails.StageFigures> e : d.stages().entrySet()) {
      Labels labels =
          Labels.of("stage", Integer.toString(e.getKey()), "stage_name", names.getOrDefault(e.getKey(), ""));
      rates.dataPoint(point(labels, e.getValue().rowsPerSecond()));
      if (e.getValue().queueOccupancy() >= 0) {
        queues.dataPoint(point(labels, e.getValue().queueOccupancy()));
        anyQueue = true;
      }
    }
    out.add(rates.build());
    if (anyQueue) {
      out.add(queues.build());
    }
  }

  private void alerts(List<MetricSnapshot> out) {
    Set<String> active = new HashSet<>();
    for (Alert a : state.activeAlerts()) {
      active.add(a.name());
    }
    GaugeSnapshot.Builder b =
        GaugeSnapshot.builder().name("beamline_alert_active").help("1 while the alert is raised");
    for (String name : ALERTS) {
      b.dataPoint(point(Labels.of("alert", name), active.contains(name) ? 1 : 0));
    }
    out.add(b.build());
  }

  private void bounded(List<MetricSnapshot> out) {
    BoundedProgress bounded = state.bounded();
    if (!bounded.started()) {
      return;
    }
    BoundedProgress.Snapshot s = bounded.snapshot();
    counter(out, "beamline_bounded_rows_read", "Rows a bounded job's sources have read", s.rows());
    counter(out, "beamline_bounded_read_bytes", "Bytes a bounded job's sources have read", s.bytesRead());
    gauge(out, "beamline_bounded_estimated_bytes", "Estimated size of a bounded job's sources",
        s.estimatedBytes());
  }

  /** Beam's user metrics, attempted values (committed values lag until tasks succeed). */
  private static void beam(List<MetricSnapshot> out, @Nullable MetricResults results) {
    if (results == null) {
      return;
    }
    MetricQueryResults all = results.allMetrics();
    Map<String, CounterSnapshot.Builder> counters = new LinkedHashMap<>();
    Map<String, GaugeSnapshot.Builder> gauges = new LinkedHashMap<>();
    Map<String, SummarySnapshot.Builder> summaries = new LinkedHashMap<>();
    Map<String, String> taken = new HashMap<>();
    for (MetricResult<Long> c : all.getCounters()) {
      String name = beamName(c.getName().getName());
      Long value = c.getAttempted();
      if (value != null && claim(taken, name, "counter")) {
        counters
            .computeIfAbsent(name, n -> CounterSnapshot.builder().name(n).help(help(c)))
            .dataPoint(
                CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(labels(c))
                    .value(value)
                    .build());
      }
    }
    for (MetricResult<GaugeResult> g : all.getGauges()) {
      String name = beamName(g.getName().getName());
      GaugeResult value = g.getAttempted();
      if (value != null && claim(taken, name, "gauge")) {
        gauges
            .computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help(help(g)))
            .dataPoint(point(labels(g), value.getValue()));
      }
    }
    for (MetricResult<DistributionResult> d : all.getDistributions()) {
      String name = beamName(d.getName().getName());
      DistributionResult value = d.getAttempted();
      if (value != null && claim(taken, name, "summary")) {
        summaries
            .computeIfAbsent(name, n -> SummarySnapshot.builder().name(n).help(help(d)))
            .dataPoint(
                SummarySnapshot.SummaryDataPointSnapshot.builder()
                    .labels(labels(d))
                    .count(value.getCount())
                    .sum(value.getSum())
                    .build());
        if (value.getCount() > 0
            && claim(taken, name + "_min", "summary_min")
            && claim(taken, name + "_max", "summary_max")) {
          gauges
              .computeIfAbsent(name + "_min", n -> GaugeSnapshot.builder().name(n).help(help(d) + ", minimum"))
              .dataPoint(point(labels(d), value.getMin()));
          gauges
              .computeIfAbsent(name + "_max", n -> GaugeSnapshot.builder().name(n).help(help(d) + ", maximum"))
              .dataPoint(point(labels(d), value.getMax()));
        }
      }
    }
    counters.values().forEach(b -> out.add(b.build()));
    gauges.values().forEach(b -> out.add(b.build()));
    summaries.values().forEach(b -> out.add(b.build()));
  }

  /**
   * One Prometheus family per name and type: a Beam name used by two metric types keeps the first
   * (counters, then gauges, then distributions); the same name in several steps or namespaces is
   * one family with different labels.
   */
  private static boolean claim(Map<String, String> taken, String family, String type) {
    String previous = taken.putIfAbsent(family, type);
    return previous == null || previous.equals(type);
  }

  /** {@code beam_} + the Beam name in snake case: {@code droppedDueToLateness} -> {@code beam_dropped_due_to_lateness}. */
  static String beamName(String beamName) {
    String snake = CAMEL.matcher(beamName).replaceAll("$1_$2").toLowerCase(java.util.Locale.ROOT);
    snake = NOT_NAME.matcher(snake).replaceAll("_").replaceAll("^_+|_+$", "");
    if (snake.endsWith("_total")) {
      snake = snake.substring(0, snake.length() - "_total".length());
    }
    return "beam_" + (snake.isEmpty() ? "metric" : snake);
  }

  private static Labels labels(MetricResult<?> r) {
    return Labels.of("namespace", r.getName().getNamespace(), "step", r.getKey().stepName());
  }

  private static String help(MetricResult<?> r) {
    return "Beam metric " + r.getName().getName();
  }

  private static void gauge(List<MetricSnapshot> out, String name, String help, double value) {
    out.add(GaugeSnapshot.builder().name(name).help(help).dataPoint(point(Labels.EMPTY, value)).build());
  }

  private static void counter(List<MetricSnapshot> out, String name, String help, double value) {
    out.add(
        CounterSnapshot.builder()
            .name(name)
            .help(help)
            .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(value).build())
            .build());
  }

  private static GaugeSnapshot.GaugeDataPointSnapshot point(Labels labels, double value) {
    return GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
  }
}
