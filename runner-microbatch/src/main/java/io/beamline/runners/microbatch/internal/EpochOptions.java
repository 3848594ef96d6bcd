package io.beamline.runners.microbatch.internal;

import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.ApplicationNameOptions;
import org.joda.time.Duration;

/** Turns {@link MicroBatchPipelineOptions} into the executor's {@link EpochConfig}. */
public final class EpochOptions {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m)");

  private EpochOptions() {}

  /**
   * Checks the streaming options' syntax.
   *
   * @throws IllegalArgumentException naming the option and the accepted values
   */
  public static void validate(MicroBatchPipelineOptions options) {
    parseInterval(options.getBatchInterval());
    parseTrigger(options.getTrigger());
    if (options.getMaxRecordsPerBatch() == null || options.getMaxRecordsPerBatch() < 1) {
      throw new IllegalArgumentException(
          "--maxRecordsPerBatch must be at least 1, got " + options.getMaxRecordsPerBatch());
    }
    if (options.getMinEpochsToRetain() == null || options.getMinEpochsToRetain() < 1) {
      throw new IllegalArgumentException(
          "--minEpochsToRetain must be at least 1, got " + options.getMinEpochsToRetain());
    }
    String backend = options.getStateBackend();
    if (backend != null && !"heap".equals(backend) && !"rocksdb".equals(backend)) {
      throw new IllegalArgumentException(
          "--stateBackend must be heap or rocksdb, got " + backend);
    }
  }

  /**
   * The epoch configuration of a run of {@code plan}: checkpointed in {@code --checkpointDir}, or
   * by default in {@code ./beamline-checkpoints/<jobName or appName>} (see {@link
   * #defaultDirectoryName}) if the plan reads an unbounded source.
   *
   * @throws IllegalArgumentException if a checkpoint directory is asked for a plan that cannot be
   *     checkpointed (one driven by a TestStream)
   */
  public static EpochConfig configOf(MicroBatchPipelineOptions options, ExecutablePlan plan) {
    boolean unbounded = false;
    String uncheckpointable = null;
    for (Stage stage : plan.stages()) {
      if (stage.source() != null) {
        unbounded |= stage.source().isUnbounded();
        if (!stage.source().isCheckpointable()) {
          uncheckpointable = stage.source().stepName();
        }
      }
    }
    Path checkpointDir = null;
    if (options.getCheckpointDir() != null) {
      if (uncheckpointable != null) {
        throw new IllegalArgumentException(
            "--checkpointDir was given, but "
                + uncheckpointable
                + " (a TestStream) cannot be checkpointed; run it without --checkpointDir");
      }
      checkpointDir = Path.of(options.getCheckpointDir());
    } else if (unbounded && uncheckpointable == null) {
      String parent = options.getDefaultCheckpointParent();
      checkpointDir =
          Path.of(parent == null ? "beamline-checkpoints" : parent, defaultDirectoryName(options));
    }
    return new EpochConfig(
        parseInterval(options.getBatchInterval()),
        options.getMaxRecordsPerBatch(),
        parseTrigger(options.getTrigger()),
        checkpointDir == null ? null : checkpointDir.toAbsolutePath(),
        options.getMinEpochsToRetain(),
        options.getReplayUncommittedEpoch(),
        "rocksdb".equals(options.getStateBackend())
            ? EpochConfig.StateBackend.ROCKSDB
            : EpochConfig.StateBackend.HEAP);
  }

  /**
   * The job's name if it was given ({@code --jobName}); otherwise the application name (the main
   * class's simple name), because the job name Beam makes up ({@code
   * <app>-<user>-<MMddHHmmss>-<random>}) differs on every run and a restart would never find its
   * checkpoint.
   */
  public static String defaultDirectoryName(MicroBatchPipelineOptions options) {
    ApplicationNameOptions names = options.as(ApplicationNameOptions.class);
    String jobName = names.getJobName();
    return GENERATED_JOB_NAME.matcher(jobName).matches() ? names.getAppName() : jobName;
  }

  /** Beam's {@code JobNameFactory}: {@code app-user-MMddHHmmss-<hex>}. */
  private static final Pattern GENERATED_JOB_NAME = Pattern.compile(".+-\\d{10}-[0-9a-f]+");

  /**
   * Parses {@code 500ms}, {@code 5s}, {@code 2m}.
   *
   * @throws IllegalArgumentException if the value has no unit or an unknown one
   */
  public static Duration parseInterval(String value) {
    Matcher m = DURATION.matcher(value == null ? "" : value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "--batchInterval must be a whole number with a unit ms, s or m (e.g. 500ms, 5s), got '"
              + value
              + "'");
    }
    long amount = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "ms":
        return Duration.millis(amount);
      case "s":
        return Duration.standardSeconds(amount);
      default:
        return Duration.standardMinutes(amount);
    }
  }

  private static EpochConfig.Trigger parseTrigger(String value) {
    switch (value == null ? "" : value) {
      case "processingTime":
        return EpochConfig.Trigger.PROCESSING_TIME;
      case "once":
        return EpochConfig.Trigger.ONCE;
      case "availableNow":
        return EpochConfig.Trigger.AVAILABLE_NOW;
      default:
        throw new IllegalArgumentException(
            "--trigger must be processingTime, once or availableNow, got '" + value + "'");
    }
  }
}
