package io.beamline.sdk;

import java.nio.file.Path;

/**
 * A checkpoint directory cannot be used: a file in it is corrupt or truncated, or it was written
 * by a different pipeline. The message names the file or the transforms concerned and what to do.
 * Nothing is read from or written to the directory after this is thrown.
 */
public class CheckpointException extends RuntimeException {
  private final Path path;

  public CheckpointException(Path path, String message) {
    super(message);
    this.path = path;
  }

  public CheckpointException(Path path, String message, Throwable cause) {
    super(message, cause);
    this.path = path;
  }

  /** The file or directory concerned. */
  public Path path() {
    return path;
  }
}
