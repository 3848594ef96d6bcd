package io.beamline.sdk;

import com.google.common.base.Preconditions;

/** Resolves {@link BeamlinePipelineOptions#getParallelism()} to a number of tasks. */
public final class Parallelism {
  private Parallelism() {}

  /**
   * The parallelism to use for {@code options}: the option's value, or the number of cores the JVM
   * sees when it is {@code -1} or unset.
   *
   * @throws IllegalArgumentException if the option is 0 or below -1
   */
  public static int of(BeamlinePipelineOptions options) {
    Integer value = options.getParallelism();
    if (value == null || value == -1) {
      return Runtime.getRuntime().availableProcessors();
    }
    Preconditions.checkArgument(
        value >= 1, "--parallelism must be at least 1, or -1 for the number of cores; was %s", value);
    return value;
  }
}
