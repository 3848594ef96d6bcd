package io.beamline.runners.realtime;

import com.google.common.base.Preconditions;
import io.beamline.sdk.Parallelism;
import io.beamline.sdk.UnsupportedTransformException;
import io.beamline.sdk.internal.checkpoint.CheckpointSettings;
import io.beamline.sdk.internal.plan.ExecutablePlan;
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
 * Runs Apache Beam pipelines with every stage running at once, for as long as the job runs: each
 * task of each stage is a long-lived thread, tasks are connected by bounded queues, records flow
 * through as soon as they are read and watermarks travel in-band behind them (the idea of Spark's
 * Real-Time Mode, on Beam pipelines). It runs the same translation, operators and state as {@code
 * MicroBatchRunner}; see docs/realtime.md for when to pick which.
 *
 * <p>Use it with {@code --runner=RealtimeRunner}; options are in {@link RealtimePipelineOptions}.
 * {@link #run} translates the pipeline before returning and throws {@link
 * UnsupportedTransformException} if a transform cannot be executed (nothing runs then); the
 * pipeline itself runs on background threads, see {@link RealtimePipelineResult}.
 *
 * <p>Guarantees: a streaming run that reads an unbounded source takes a barrier checkpoint every
 * {@code --checkpointInterval} (default 100 ms) into MicroBatchRunner's checkpoint directory and
 * resumes from it after a restart, on either runner: state is exactly-once; output is exactly-once
 * through a sink that commits at barriers (the Kafka sink in its default mode: a transaction per
 * checkpoint and shard), at-least-once through others. A sink that commits per epoch but not at
 * barriers is refused at {@link #run}.
 */
public class RealtimeRunner extends PipelineRunner<RealtimePipelineResult> {
  private static final Logger LOG = LoggerFactory.getLogger(RealtimeRunner.class);

  private final RealtimePipelineOptions options;

  protected RealtimeRunner(RealtimePipelineOptions options) {
    this.options = options;
  }

  /**
   * Creates the runner; called by Beam for {@code --runner=RealtimeRunner}.
   *
   * @throws IllegalArgumentException if the options are invalid ({@code --parallelism} of 0 or
   *     below -1, {@code --maxBundleElements} or {@code --maxBundleTimeMillis} below 1, {@code
   *     --channelCapacity} below 2, a {@code --progressInterval} or {@code --checkpointInterval}
   *     without unit, an unknown {@code --stateBackend}) or ask for something this runner does not
   *     do yet (a {@code --metricsSink})
   */
  public static RealtimeRunner fromOptions(PipelineOptions options) {
    RealtimePipelineOptions rtOptions =
        PipelineOptionsValidator.validate(RealtimePipelineOptions.class, options);
    Parallelism.of(rtOptions);
    Preconditions.checkArgument(
        rtOptions.getMaxBundleElements() >= 1,
        "--maxBundleElements must be at least 1, got %s",
        rtOptions.getMaxBundleElements());
    Preconditions.checkArgument(
        rtOptions.getMaxBundleTimeMillis() >= 1,
        "--maxBundleTimeMillis must be at least 1, got %s",
        rtOptions.getMaxBundleTimeMillis());
    Preconditions.checkArgument(
        rtOptions.getChannelCapacity() >= 2,
        "--channelCapacity must be at least 2, got %s",
        rtOptions.getChannelCapacity());
    CheckpointSettings.stateBackendOf(rtOptions);
    CheckpointSettings.validate(rtOptions);
    progressIntervalMillis(rtOptions.getProgressInterval());
    Preconditions.checkArgument(
        checkpointIntervalMillis(rtOptions.getCheckpointInterval()) > 0
            || rtOptions.getCheckpointDir() == null,
        "--checkpointDir=%s was given with --checkpointInterval=0, which turns checkpoints off;"
            + " drop one of them",
        rtOptions.getCheckpointDir());
    Class<?> metricsSink = options.as(MetricsOptions.class).getMetricsSink();
    Preconditions.checkArgument(
        metricsSink == null || metricsSink == NoOpMetricsSink.class,
        "--metricsSink=%s is not supported: RealtimeRunner does not push metrics to a sink yet;"
            + " read them from PipelineResult.metrics() instead",
        metricsSink == null ? null : metricsSink.getName());
    return new RealtimeRunner(rtOptions);
  }

  /**
   * Parses {@code --progressInterval}: a positive number with unit {@code ms}, {@code s} or {@code
   * m}.
   *
   * @throws IllegalArgumentException if it is not one
   */
  static long progressIntervalMillis(String interval) {
    return durationMillis("--progressInterval", interval, false);
  }

  /**
   * Parses {@code --checkpointInterval}: {@code 0} (no checkpoints) or a positive number with unit
   * {@code ms}, {@code s} or {@code m}.
   *
   * @throws IllegalArgumentException if it is neither
   */
  static long checkpointIntervalMillis(String interval) {
    return "0".equals(String.valueOf(interval).trim())
        ? 0
        : durationMillis("--checkpointInterval", interval, true);
  }

  private static long durationMillis(String option, String interval, boolean zeroAllowed) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d+)(ms|s|m)").matcher(String.valueOf(interval).trim());
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      throw new IllegalArgumentException(
          option
              + " must be a positive number with unit ms, s or m (e.g. 500ms, 1s)"
              + (zeroAllowed ? ", or 0 for none" : "")
              + ", got "
              + interval);
    }
    long value = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> value;
      case "s" -> value * 1000;
      default -> value * 60_000;
    };
  }

  /**
   * Translates and starts {@code pipeline}.
   *
   * @throws UnsupportedTransformException if the pipeline uses a transform or feature this runner
   *     does not execute (a sink that commits per epoch but not at checkpoint barriers, such as the
   *     Iceberg sink); the message names the transform
   * @throws IllegalArgumentException if the run would checkpoint a TestStream
   */
  @Override
  public RealtimePipelineResult run(Pipeline pipeline) {
    MetricsEnvironment.setMetricsSupported(true);
    FileSystems.setDefaultPipelineOptions(options);
    boolean streaming =
        PipelineTranslator.needsEpochs(pipeline, options.as(StreamingOptions.class).isStreaming());
    PipelineOverrides.apply(pipeline, streaming);
    ExecutablePlan plan = PipelineTranslator.translate(pipeline, streaming);
    if (!plan.sinksNotCommittingAtBarriers().isEmpty()) {
      throw new UnsupportedTransformException(
          plan.sinksNotCommittingAtBarriers().get(0),
          "this sink commits its output once per epoch and cannot commit at RealtimeRunner's"
              + " checkpoint barriers (an epoch here spans many bundles): run it on"
              + " --runner=MicroBatchRunner");
    }
    LOG.debug("Executable plan:\n{}", plan.describe());
    RealtimePipelineResult result = new RealtimePipelineResult(plan, options);
    long interval = checkpointIntervalMillis(options.getCheckpointInterval());
    CheckpointSettings checkpoint =
        interval > 0 && !plan.bounded()
            ? CheckpointSettings.of(options, plan)
            : CheckpointSettings.none();
    if (checkpoint.checkpointDir() != null) {
      result.checkpointInto(checkpoint, interval);
    } else if (!plan.bounded() && !plan.transactionalSinks().isEmpty()) {
      LOG.warn(
          "{} commits per checkpoint, but this run takes none (--checkpointInterval=0, or nothing"
              + " unbounded to checkpoint): each bundle is one transaction, and a failed run"
              + " writes again what it wrote",
          plan.transactionalSinks());
    }
    result.start();
    return result;
  }
}
