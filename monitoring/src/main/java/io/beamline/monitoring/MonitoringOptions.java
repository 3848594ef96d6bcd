package io.beamline.monitoring;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Options of a job's monitoring: the web UI and Prometheus endpoint, alert thresholds, the capacity
 * report and the epoch auto-tuner. Every Beamline runner's options interface extends this one, so
 * each property is declared once and means the same on every runner (Beam requires every options
 * interface loaded in one JVM to agree on a property's type and default; the names here are not
 * used by Beam's FlinkRunner or SparkRunner options).
 *
 * <p>All values are checked by {@link JobMonitor#validate} when the runner is created, before the
 * pipeline runs; an invalid one is an {@link IllegalArgumentException} naming the option.
 */
public interface MonitoringOptions extends PipelineOptions {

  /** Default port of the web UI: Spark uses 4040 (and 4041–4056 for later apps), Flink 8081. */
  int DEFAULT_UI_PORT = 4747;

  /**
   * Port of the job's web UI, JSON API ({@code /api/...}) and Prometheus endpoint ({@code
   * /metrics}). Default {@value #DEFAULT_UI_PORT}; when it is taken (another job on the machine)
   * the next 16 ports are tried, like Spark's UI. {@code 0} disables the server; {@code -1} binds
   * any free port (the URL is logged at INFO and returned by the runner's result).
   */
  @Description(
      "Port of the web UI, JSON API and Prometheus /metrics; default 4747 (the next 16 are tried"
          + " when taken), 0 disables the server, -1 picks any free port.")
  @Default.Integer(DEFAULT_UI_PORT)
  Integer getUiPort();

  void setUiPort(Integer port);

  /** Address the web UI binds to; default {@code 127.0.0.1} (this machine only). */
  @Description(
      "Address the web UI binds to; default 127.0.0.1 (this machine only), 0.0.0.0 for every"
          + " interface.")
  @Default.String("127.0.0.1")
  String getUiHost();

  void setUiHost(String host);

  /**
   * Alert {@code processingRatio}: raised when an epoch's busy time (everything but waiting for
   * input) exceeds this fraction of the batch interval for {@link #getAlertProcessingEpochs()}
   * epochs in a row, cleared after as many epochs in a row at or below it. Default 0.6.
   */
  @Description(
      "Alert when processing takes more than this fraction of the batch interval (default 0.6) for"
          + " --alertProcessingEpochs epochs in a row.")
  @Default.Double(0.6)
  Double getAlertProcessingRatio();

  void setAlertProcessingRatio(Double ratio);

  /**
   * Consecutive epochs over {@link #getAlertProcessingRatio()} that raise the alert (and at or
   * below it that clear it); default 3.
   */
  @Description(
      "Consecutive epochs over --alertProcessingRatio that raise the alert (and under it that clear"
          + " it); default 3.")
  @Default.Integer(3)
  Integer getAlertProcessingEpochs();

  void setAlertProcessingEpochs(Integer epochs);

  /**
   * Alert {@code backlog}: raised when the sources' backlog exceeds this many epochs of input.
   * Default 10.
   */
  @Description("Alert when the sources' backlog exceeds this many epochs of input; default 10.")
  @Default.Double(10)
  Double getAlertBacklogEpochs();

  void setAlertBacklogEpochs(Double epochs);

  /**
   * Alert {@code lateRows}: raised while any of the last 10 epochs dropped more than this many
   * rows as late. Default 0.
   */
  @Description(
      "Alert while any of the last 10 epochs dropped more than this many rows as late; default 0.")
  @Default.Long(0)
  Long getAlertLateRows();

  void setAlertLateRows(Long rows);

  /**
   * Alert {@code stateGrowth}: raised when the state's rows grew by more than this fraction per
   * epoch for {@link #getAlertStateGrowthEpochs()} epochs in a row. Default 0.1.
   */
  @Description(
      "Alert when state rows grow by more than this fraction per epoch (default 0.1) for"
          + " --alertStateGrowthEpochs epochs in a row.")
  @Default.Double(0.1)
  Double getAlertStateGrowth();

  void setAlertStateGrowth(Double fraction);

  /** Consecutive growing epochs that raise {@code stateGrowth}; default 10. */
  @Description("Consecutive epochs of state growth that raise the alert; default 10.")
  @Default.Integer(10)
  Integer getAlertStateGrowthEpochs();

  void setAlertStateGrowthEpochs(Integer epochs);

  /**
   * Alert {@code watermarkLag}: raised when the watermark is further than this behind the wall
   * clock after an epoch; a whole number with unit {@code ms}, {@code s}, {@code m} or {@code h}.
   * Default: none, no alert (a job replaying old data always lags).
   */
  @Description(
      "Alert when the watermark lags the wall clock by more than this, e.g. 30s, 5m (units ms, s,"
          + " m, h). Default: no alert.")
  String getWatermarkLagSlo();

  void setWatermarkLagSlo(String slo);

  /**
   * Lets the runner change its batch interval and records-per-epoch cap between epochs to keep
   * processing at or below 50% of the interval; each change is logged at INFO with its reason.
   * Default false.
   */
  @Description(
      "Adapt the batch interval and the records-per-epoch cap between epochs to keep processing"
          + " at or below 50% of the interval (each change logged with its reason). Default false.")
  @Default.Boolean(false)
  Boolean getAutoTune();

  void setAutoTune(Boolean autoTune);

  /**
   * Upper bound of the interval {@link #getAutoTune() auto-tuning} may choose; the lower bound is
   * the configured batch interval. Same syntax as {@link #getWatermarkLagSlo()}. Default {@code
   * 10s} (or the batch interval if that is longer).
   */
  @Description(
      "Longest batch interval --autoTune may choose (it never goes below --batchInterval);"
          + " default 10s.")
  @Default.String("10s")
  String getAutoTuneMaxInterval();

  void setAutoTuneMaxInterval(String interval);

  /**
   * Rate (rows per second) the capacity report sizes the job for. Default: none, the measured
   * input rate of the recent epochs.
   */
  @Description(
      "Rows per second the capacity report sizes for; default: the measured input rate.")
  Double getCapacityTargetRate();

  void setCapacityTargetRate(Double rowsPerSecond);

  /** Headroom added to the cores the capacity report finds necessary; default 0.3 (30%). */
  @Description(
      "Headroom on top of the cores the capacity report finds necessary; default 0.3 (30%).")
  @Default.Double(0.3)
  Double getCapacityHeadroom();

  void setCapacityHeadroom(Double headroom);

  /**
   * Console progress of a bounded job: {@code auto} (default: a progress bar when standard output
   * is a terminal, a plain line every 10 s otherwise), {@code bar}, {@code lines} or {@code off}.
   */
  @Description(
      "Console progress of a bounded job: auto (default: a bar on a terminal, a line every 10 s"
          + " otherwise), bar, lines or off.")
  @Default.String("auto")
  String getConsoleProgress();

  void setConsoleProgress(String mode);
}
