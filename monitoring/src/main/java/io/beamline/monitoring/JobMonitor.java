package io.beamline.monitoring;

import io.beamline.monitoring.internal.AlertThresholds;
import io.beamline.monitoring.internal.AutoTuner;
import io.beamline.monitoring.internal.CapacityEstimator;
import io.beamline.monitoring.internal.ConsoleProgress;
import io.beamline.monitoring.internal.Durations;
import io.beamline.monitoring.internal.JsonApi;
import io.beamline.monitoring.internal.MonitorState;
import io.beamline.monitoring.internal.PrometheusExport;
import io.beamline.monitoring.internal.UiServer;
import io.beamline.sdk.EpochProgress;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one run of a job: keeps its progress history, computes its alerts and capacity report,
 * tunes its epochs ({@code --autoTune}), shows it all on a web page with a JSON API and a
 * Prometheus endpoint, and prints a bounded job's progress on the console.
 *
 * <p>How a runner uses it:
 *
 * <ol>
 *   <li>{@link #validate} in the runner's {@code fromOptions}, so bad options fail before
 *       anything runs;
 *   <li>{@link #start} in {@code run()}, then {@link #setPlan} and {@link #setMetrics};
 *   <li>the epoch loop reads {@link #tuner()}{@code .current()} when it plans an epoch, and hands
 *       every progress record to {@link #onProgress} (which also advances the tuner), writing the
 *       fields it returns into the record's JSON line;
 *   <li>a bounded run reports what its sources read into {@link #boundedProgress()};
 *   <li>{@link #setState} when the run ends, then {@link #close}.
 * </ol>
 *
 * <p>Threading: {@link #onProgress} is called by one thread at a time (the driver thread); the
 * other methods may be called from any thread. The web server has its own daemon thread.
 */
public final class JobMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JobMonitor.class);

  private final MonitorState state;
  private final @Nullable UiServer server;
  private final @Nullable ConsoleProgress console;

  private JobMonitor(MonitorState state, @Nullable UiServer server, @Nullable ConsoleProgress console) {
    this.state = state;
    this.server = server;
    this.console = console;
  }

  /**
   * Checks every monitoring option.
   *
   * @throws IllegalArgumentException naming the option and what it accepts
   */
  public static void validate(MonitoringOptions options) {
    AlertThresholds.of(options);
    Integer port = options.getUiPort();
    if (port == null || port < -1 || port > 65535) {
      throw new IllegalArgumentException(
          "--uiPort must be a port (1-65535), 0 to disable the web UI or -1 for any free port, got "
              + port);
    }
    if (options.getUiHost() == null || options.getUiHost().isBlank()) {
      throw new IllegalArgumentException("--uiHost must be an address, e.g. 127.0.0.1 or 0.0.0.0");
    }
    Durations.parseMillis(options.getAutoTuneMaxInterval(), "autoTuneMaxInterval");
    Double target = options.getCapacityTargetRate();
    if (target != null && !(target > 0)) {
      throw new IllegalArgumentException("--capacityTargetRate must be above 0, got " + target);
    }
    Double headroom = options.getCapacityHeadroom();
    if (headroom == null || !(headroom >= 0)) {
      throw new IllegalArgumentException("--capacityHeadroom must be 0 or more, got " + headroom);
    }
    consoleMode(options);
  }

  /**
   * Starts monitoring a job: binds the web UI (unless {@code --uiPort=0}) and logs its address at
   * INFO.
   *
   * @throws IllegalArgumentException if an option is invalid (see {@link #validate})
   * @throws UncheckedIOException if the web UI cannot bind any port it may use
   */
  public static JobMonitor start(MonitoringOptions options, JobDescription job) {
    validate(options);
    EpochTuning configured =
        new EpochTuning(
            Math.max(1, job.batchIntervalMillis()), Math.max(1, job.maxRecordsPerEpoch()));
    boolean autoTune = Boolean.TRUE.equals(options.getAutoTune()) && job.batchIntervalMillis() > 0;
    EpochTuner tuner =
        autoTune
            ? new AutoTuner(
                configured,
                Durations.parseMillis(options.getAutoTuneMaxInterval(), "autoTuneMaxInterval"),
                line -> LOG.info("{}", line))
            : EpochTuner.fixed(configured);
    int cores = Math.min(job.parallelism(), Runtime.getRuntime().availableProcessors());
    MonitorState state =
        new MonitorState(
            job,
            AlertThresholds.of(options),
            new CapacityEstimator(cores, options.getCapacityTargetRate(), options.getCapacityHeadroom()),
            tuner,
            autoTune);
    UiServer server = null;
    if (options.getUiPort() != 0) {
      PrometheusRegistry registry = PrometheusExport.registry(state);
      try {
        server = UiServer.start(options.getUiHost(), options.getUiPort(), new JsonApi(state), registry);
      } catch (IOException e) {
        throw new UncheckedIOException(e.getMessage(), e);
      }
      LOG.info("Web UI of {} at {} (metrics at {}metrics)", job.name(), server.uri(), server.uri());
    }
    ConsoleProgress console = null;
    String mode = consoleMode(options);
    if (job.bounded() && !"off".equals(mode)) {
      boolean bar = "bar".equals(mode) || ("auto".equals(mode) && System.console() != null);
      console = new ConsoleProgress(state.bounded(), System.out, bar);
      console.start();
    }
    return new JobMonitor(state, server, console);
  }

  private static String consoleMode(MonitoringOptions options) {
    String mode = options.getConsoleProgress() == null ? "auto" : options.getConsoleProgress();
    mode = mode.toLowerCase(Locale.ROOT);
    if (!List.of("auto", "bar", "lines", "off").contains(mode)) {
      throw new IllegalArgumentException(
          "--consoleProgress must be auto, bar, lines or off, got '" + options.getConsoleProgress() + "'");
    }
    return mode;
  }

  /** Sets the plan the page draws. */
  public void setPlan(PlanDescription plan) {
    state.setPlan(plan);
  }

  /**
   * Sets where Beam's metrics are read from, at each scrape and API call (e.g. {@code
   * result::metrics}); the supplier must be thread-safe.
   */
  public void setMetrics(Supplier<MetricResults> metrics) {
    state.setMetrics(metrics);
  }

  /** Sets the run's state (shown on the page and as {@code beamline_job_state}). */
  public void setState(PipelineResult.State runState) {
    state.setState(runState.name());
  }

  /**
   * Takes a progress record: evaluates the alerts (each raise and clear is logged once at WARN),
   * updates the capacity report and lets the tuner choose the next epoch's settings.
   *
   * @return fields to append to the record's JSON line, in this order: {@code alerts} (names of the
   *     active alerts, always present), {@code capacity} ({@code rowsPerSecondPerCore}, {@code
   *     coresNeeded}, {@code coresWithHeadroom}; once an epoch had input) and {@code tuning}
   *     ({@code batchIntervalMs}, {@code maxRecordsPerBatch} of the next epoch; with {@code
   *     --autoTune} only)
   */
  public Map<String, Object> onProgress(EpochProgress progress) {
    return onProgress(progress, ProgressDetails.NONE);
  }

  /** {@link #onProgress(EpochProgress)} with figures beyond the record. */
  public Map<String, Object> onProgress(EpochProgress progress, ProgressDetails details) {
    return state.record(progress, details);
  }

  /** The tuner the epoch loop reads its interval and cap from: fixed unless {@code --autoTune}. */
  public EpochTuner tuner() {
    return state.tuner();
  }

  /** Where a bounded run reports rows and bytes read; the console shows it once reported to. */
  public BoundedProgress boundedProgress() {
    return state.bounded();
  }

  /** The active alerts, in the order they were raised. */
  public List<Alert> activeAlerts() {
    return state.activeAlerts();
  }

  /** The capacity report, or null before an epoch with input. */
  public @Nullable CapacityReport capacity() {
    return state.capacity();
  }

  /** The web UI's address, or null with {@code --uiPort=0}. */
  public @Nullable URI uiUri() {
    return server == null ? null : server.uri();
  }

  /** Stops the web server and prints the bounded job's final progress line. */
  @Override
  public void close() {
    if (console != null) {
      console.close();
    }
    if (server != null) {
      server.close();
    }
  }
}
