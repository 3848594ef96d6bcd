package io.beamline.runners.microbatch.internal;

import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import io.beamline.sdk.internal.checkpoint.CheckpointSettings;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.joda.time.Duration;

/** Turns {@link MicroBatchPipelineOptions} into the epoch loop's {@link EpochConfig}. */
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
    CheckpointSettings.validate(options);
  }

  /**
   * The epoch configuration of a run of {@code plan}; checkpointing as {@link
   * CheckpointSettings#of} says.
   *
   * @throws IllegalArgumentException if an option is malformed or a checkpoint directory is asked
   *     for a plan that cannot be checkpointed
   */
  public static EpochConfig configOf(MicroBatchPipelineOptions options, ExecutablePlan plan) {
    return new EpochConfig(
        parseInterval(options.getBatchInterval()),
        options.getMaxRecordsPerBatch(),
        parseTrigger(options.getTrigger()),
        CheckpointSettings.of(options, plan));
  }

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
