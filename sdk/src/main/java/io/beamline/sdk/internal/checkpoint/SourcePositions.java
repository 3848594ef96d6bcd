package io.beamline.sdk.internal.checkpoint;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.joda.time.Instant;

/** What {@link Recovery} asks of a runner's sources and clock when it resumes a checkpoint. */
public interface SourcePositions {
  /** The processing time of the last committed epoch: the run's clock does not go back past it. */
  void restoreProcessingTime(Instant processingTime);

  /**
   * Positions every source after the epoch logged in {@code offsets} ({@code offsets/N}'s JSON, see
   * docs/checkpoints.md): unbounded readers at its end marks and watermarks, bounded sources read
   * if they were read by then.
   *
   * @throws Exception if a logged sub-source or mark cannot be decoded
   */
  void resumeAfter(ObjectNode offsets) throws Exception;
}
