package io.beamline.runners.microbatch;

import io.beamline.runners.microbatch.internal.EpochOptions;
import io.beamline.runners.microbatch.internal.ProgressLog;

import com.google.common.base.Preconditions;
import io.beamline.monitoring.JobMonitor;
import io.beamline.sdk.Parallelism;
import io.beamline.sdk.UnsupportedTransformException;
import io.beamline.runners.microbatch.internal.EpochConfig;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import java.nio.file.Path;
import io.beamline.sdk.internal.translation.PipelineOverrides;
import io.beamline.sdk.internal.translation.PipelineTranslator;
import org.apache.beam.runners.core.metrics.NoOpMetricsSink;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.metrics.MetricsOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsValidator;
import org.apache.beam.sdk.options.StreamingOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Apache Beam pipelines as a sequence of epochs (micro-batches). A bounded pipeline runs as a
 * single epoch over all of its input, after which the watermark is +∞.
 *
 * <p>Use it with {@code --runner=MicroBatchRunner}; options are in {@link
 * MicroBatchPipelineOptions}. {@link #run} translates the pipeline before returning and throws
 * {@link UnsupportedTransformException} if a transform cannot be executed (nothing runs then); the
 * pipeline itself runs on a background thread, see {@link MicroBatchPipelineResult}.
 */
public class MicroBatchRunner extends PipelineRunner<MicroBatchPipelineResult> {
  private static final Logger LOG = LoggerFactory.getLogger(MicroBatchRunner.class);

  private final MicroBatchPipelineOptions options;

  protected MicroBatchRunner(MicroBatchPipelineOptions options) {
    this.options = options;
  }

  /**
   * Creates the runner; called by Beam for {@code --runner=MicroBatchRunner}.
   *
   * @throws IllegalArgumentException if the options are invalid ({@code --parallelism} of 0 or
   *     below -1, a {@code --batchInterval} without unit, an unknown {@code --trigger} or {@code
   *     --stateBackend}) or ask
   *     for something this runner does not do (a {@code --metricsSink})
   */
  public static MicroBatchRunner fromOptions(PipelineOptions options) {
    MicroBatchPipelineOptions mbOptions =
        PipelineOptionsValidator.validate(MicroBatchPipelineOptions.class, options);
    Parallelism.of(mbOptions); // fails fast on an invalid --parallelism
    EpochOptions.validate(mbOptions);
    JobMonitor.validate(mbOptions);
    Class<?> metricsSink = options.as(MetricsOptions.class).getMetricsSink();
    Preconditions.checkArgument(
        metricsSink == null || metricsSink == NoOpMetricsSink.class,
        "--metricsSink=%s is not supported: MicroBatchRunner does not push metrics to a sink yet;"
            + " read them from PipelineResult.metrics() instead",
        metricsSink == null ? null : metricsSink.getName());
    return new MicroBatchRunner(mbOptions);
  }

  /**
   * Translates and starts {@code pipeline}.
   *
   * @throws UnsupportedTransformException if the pipeline uses a transform or feature this runner
   *     does not execute; the message names the transform
   */
  @Override
  public MicroBatchPipelineResult run(Pipeline pipeline) {
    MetricsEnvironment.setMetricsSupported(true);
    FileSystems.setDefaultPipelineOptions(options);
    boolean epochs =
        PipelineTranslator.needsEpochs(pipeline, options.as(StreamingOptions.class).isStreaming());
    PipelineOverrides.apply(pipeline, epochs);
    ExecutablePlan plan = PipelineTranslator.translate(pipeline, epochs);
    LOG.debug("Executable plan:\n{}", plan.describe());
    EpochConfig epochConfig = plan.bounded() ? null : EpochOptions.configOf(options, plan);
    Path checkpointDir = epochConfig == null ? null : epochConfig.checkpoint().checkpointDir();
    Path progressFile =
        epochConfig == null
            ? (options.getProgressFile() == null ? null : Path.of(options.getProgressFile()))
            : epochConfig.checkpoint().progressFile(options);
    if (checkpointDir != null) {
      LOG.info("Checkpoint directory: {}", checkpointDir);
    }
    JobMonitor monitor = Monitoring.start(options, plan, epochConfig);
    MicroBatchPipelineResult result;
    try {
      result =
          new MicroBatchPipelineResult(
              plan, options, epochConfig, new ProgressLog(progressFile, checkpointDir != null, monitor), monitor);
    } catch (RuntimeException e) {
      monitor.close(); // the run never starts: free the web UI's port
      throw e;
    }
    result.start();
    return result;
  }
}
