package io.beamline.sdk.internal.checkpoint;

import io.beamline.sdk.BeamlinePipelineOptions;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.state.StateBackend;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.ApplicationNameOptions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where and how a run checkpoints, from the options every Beamline runner shares ({@link
 * BeamlinePipelineOptions}), so that both runners read and write the same directory the same way.
 *
 * @param checkpointDir the checkpoint directory (absolute), or null for a run that is not
 *     checkpointed
 * @param minEpochsToRetain committed epochs whose offsets, commits and state are kept
 * @param replayUncommittedEpoch false only in tests showing what replay protects against: on
 *     restart an epoch whose offsets are logged but which is not committed is skipped, not replayed
 * @param stateBackend where keyed state cells live
 */
public record CheckpointSettings(
    @Nullable Path checkpointDir,
    int minEpochsToRetain,
    boolean replayUncommittedEpoch,
    StateBackend stateBackend) {

  /** Beam's {@code JobNameFactory}: {@code app-user-MMddHHmmss-<hex>}. */
  private static final Pattern GENERATED_JOB_NAME = Pattern.compile(".+-\\d{10}-[0-9a-f]+");

  /** For tests and bounded inputs: no checkpoint, 100 epochs retained, heap state. */
  public static CheckpointSettings none() {
    return new CheckpointSettings(null, 100, true, StateBackend.HEAP);
  }

  /**
   * Checks the shared options' syntax.
   *
   * @throws IllegalArgumentException naming the option and the accepted values
   */
  public static void validate(BeamlinePipelineOptions options) {
    if (options.getMinEpochsToRetain() == null || options.getMinEpochsToRetain() < 1) {
      throw new IllegalArgumentException(
          "--minEpochsToRetain must be at least 1, got " + options.getMinEpochsToRetain());
    }
    stateBackendOf(options);
  }

  /**
   * The settings of a run of {@code plan}: checkpointed in {@code --checkpointDir}, or by default
   * in {@code ./beamline-checkpoints/<jobName or appName>} ({@link #defaultDirectoryName}) if the
   * plan reads an unbounded source.
   *
   * @throws IllegalArgumentException if a checkpoint directory is asked for a plan that cannot be
   *     checkpointed (one driven by a TestStream), or an option is malformed
   */
  public static CheckpointSettings of(BeamlinePipelineOptions options, ExecutablePlan plan) {
    validate(options);
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
    return new CheckpointSettings(
        checkpointDir == null ? null : checkpointDir.toAbsolutePath(),
        options.getMinEpochsToRetain(),
        !Boolean.FALSE.equals(options.getReplayUncommittedEpoch()),
        stateBackendOf(options));
  }

  /**
   * {@code --stateBackend}: heap (also when unset) or rocksdb.
   *
   * @throws IllegalArgumentException for any other value
   */
  public static StateBackend stateBackendOf(BeamlinePipelineOptions options) {
    String backend = options.getStateBackend();
    if (backend == null || "heap".equals(backend)) {
      return StateBackend.HEAP;
    }
    if ("rocksdb".equals(backend)) {
      return StateBackend.ROCKSDB;
    }
    throw new IllegalArgumentException("--stateBackend must be heap or rocksdb, got " + backend);
  }

  /**
   * The job's name if it was given ({@code --jobName}); otherwise the application name (the main
   * class's simple name), because the job name Beam makes up ({@code
   * <app>-<user>-<MMddHHmmss>-<random>}) differs on every run and a restart would never find its
   * checkpoint.
   */
  public static String defaultDirectoryName(BeamlinePipelineOptions options) {
    ApplicationNameOptions names = options.as(ApplicationNameOptions.class);
    String jobName = names.getJobName();
    return GENERATED_JOB_NAME.matcher(jobName).matches() ? names.getAppName() : jobName;
  }

  /** The progress file: {@code --progressFile}, else {@code progress.jsonl} in the directory. */
  public @Nullable Path progressFile(BeamlinePipelineOptions options) {
    if (options.getProgressFile() != null) {
      return Path.of(options.getProgressFile());
    }
    return checkpointDir == null ? null : checkpointDir.resolve("progress.jsonl");
  }
}
