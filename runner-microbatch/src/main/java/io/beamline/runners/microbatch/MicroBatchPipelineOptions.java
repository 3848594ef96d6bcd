package io.beamline.runners.microbatch;

import io.beamline.monitoring.MonitoringOptions;
import io.beamline.sdk.BeamlinePipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Hidden;

/**
 * Options of {@link MicroBatchRunner}. Besides Beam's standard options ({@code --streaming}, {@code
 * --jobName}, …) it takes:
 *
 * <ul>
 *   <li>{@code --parallelism} (from {@link BeamlinePipelineOptions}): tasks per stage and shuffle
 *       partitions; default {@code -1}, the number of cores.
 *   <li>{@code --batchInterval}: the hybrid trigger's interval, a number with unit {@code ms},
 *       {@code s} or {@code m} (e.g. {@code 500ms}, {@code 5s}); default {@code 200ms}.
 *   <li>{@code --maxRecordsPerBatch}: the hybrid trigger's record budget per source and epoch;
 *       default 100,000.
 *   <li>{@code --trigger}: {@code processingTime} (default: epochs until the sources end), {@code
 *       once} or {@code availableNow} (read what is there, then stop), as Spark's triggers.
 *   <li>the monitoring options of {@link MonitoringOptions}: {@code --uiPort}, {@code --uiHost},
 *       the alert thresholds, {@code --watermarkLagSlo}, {@code --autoTune} (docs/ui.md).
 * </ul>
 *
 * and those every Beamline runner shares ({@link BeamlinePipelineOptions}): {@code
 * --checkpointDir}, {@code --minEpochsToRetain}, {@code --progressFile}, {@code --stateBackend},
 * {@code --enforceModel}.
 */
public interface MicroBatchPipelineOptions extends BeamlinePipelineOptions, MonitoringOptions {

  @Description(
      "Hybrid trigger: an epoch reads input for at most this long, e.g. 100ms, 1s, 5s (units ms, s,"
          + " m).")
  @Default.String("200ms")
  String getBatchInterval();

  void setBatchInterval(String value);

  @Description("Hybrid trigger: at most this many records per source and epoch.")
  @Default.Long(100_000)
  Long getMaxRecordsPerBatch();

  void setMaxRecordsPerBatch(Long value);

  @Description(
      "processingTime (default; epochs until the sources end), once or availableNow (process what"
          + " is available, then stop).")
  @Default.String("processingTime")
  String getTrigger();

  void setTrigger(String value);
}
