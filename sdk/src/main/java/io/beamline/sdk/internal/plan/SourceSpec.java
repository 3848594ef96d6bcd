package io.beamline.sdk.internal.plan;

import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.testing.TestStream;

/**
 * The root of a stage that reads from outside the pipeline, as plain data: what to read. Engines
 * decide how (a bounded read is split and read by tasks; an unbounded read is cut into epochs or
 * read continuously; a TestStream is replayed event by event).
 */
public sealed interface SourceSpec {

  /** Full name of the Beam transform this source executes. */
  String stepName();

  /** True for a source that may never end (an {@code UnboundedSource}). */
  default boolean isUnbounded() {
    return false;
  }

  /** False for a source whose position cannot be checkpointed (a TestStream). */
  default boolean isCheckpointable() {
    return true;
  }

  /** Impulse: a single empty byte array in the global window. */
  record Impulse(String stepName) implements SourceSpec {}

  /** A {@code Read.Bounded}: split by {@link BoundedSource#split}, read with its own reader. */
  record BoundedRead(String stepName, BoundedSource<?> source) implements SourceSpec {}

  /** A {@code Read.Unbounded}: one long-lived reader per split of the source. */
  record UnboundedRead(String stepName, UnboundedSource<?, ?> source) implements SourceSpec {
    @Override
    public boolean isUnbounded() {
      return true;
    }
  }

  /** A {@link TestStream}: its events, one after another. */
  record TestStreamRead(String stepName, TestStream<?> testStream) implements SourceSpec {
    @Override
    public boolean isCheckpointable() {
      return false;
    }
  }
}
