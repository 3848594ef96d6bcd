package io.beamline.sdk.internal.checkpoint;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.beamline.sdk.BeamlinePipelineOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * For the test runners: a run that would be checkpointed by default (it reads an unbounded source)
 * and has neither {@code --checkpointDir} nor {@code --defaultCheckpointParent} checkpoints in a
 * temporary directory, deleted when this is closed, so that a test never resumes the checkpoint of
 * an earlier test with the same name.
 *
 * <p>Threading: the thread that runs the test pipeline.
 */
public final class TemporaryCheckpointParent implements AutoCloseable {
  private final BeamlinePipelineOptions options;
  private final @Nullable Path directory;

  private TemporaryCheckpointParent(BeamlinePipelineOptions options, @Nullable Path directory) {
    this.options = options;
    this.directory = directory;
  }

  /**
   * Points {@code --defaultCheckpointParent} at a new temporary directory unless the options name
   * a checkpoint directory or parent already.
   *
   * @throws UncheckedIOException if the temporary directory cannot be created
   */
  public static TemporaryCheckpointParent install(BeamlinePipelineOptions options) {
    if (options.getCheckpointDir() != null || options.getDefaultCheckpointParent() != null) {
      return new TemporaryCheckpointParent(options, null);
    }
    try {
      Path directory = Files.createTempDirectory("beamline-test-checkpoints-");
      options.setDefaultCheckpointParent(directory.toString());
      return new TemporaryCheckpointParent(options, directory);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Unsets the option and deletes the directory (a directory left behind is harmless). */
  @Override
  public void close() {
    if (directory == null) {
      return;
    }
    options.setDefaultCheckpointParent(null);
    try {
      MoreFiles.deleteRecursively(directory, RecursiveDeleteOption.ALLOW_INSECURE);
    } catch (IOException e) {
      // harmless: it is in the temporary directory
    }
  }
}
