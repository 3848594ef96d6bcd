package io.beamline.runners.microbatch.internal;

import io.beamline.sdk.internal.plan.SourceSpec;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * A source as the epoch loop ({@link EpochPlanner}) sees it: asked once per epoch for the slice of input to
 * read in that epoch, it also reports its watermark and whether it is exhausted. A checkpointable
 * source also describes each planned slice as offsets (written to {@code offsets/N} before the
 * epoch is processed), can plan the same slice again from them (replay) and can resume after them.
 *
 * <p>Threading: called from the driver thread only.
 */
public interface EpochSource {

  /**
   * Plans the next epoch and returns the splits to read in it (possibly none). May advance the
   * request's clock (a TestStream's processing-time events).
   */
  List<?> nextEpoch(EpochRequest request) throws Exception;

  /** Event-time watermark of the source once the planned epoch has been read. */
  Instant watermark();

  /** True when no epoch will bring more input; the watermark is then +∞. */
  boolean isExhausted();

  /**
   * True when the last planned epoch read less than its record budget: everything available has
   * been read ({@code --trigger=once/availableNow}).
   */
  default boolean caughtUp() {
    return isExhausted();
  }

  /** True if this source dictates processing time (a TestStream): the clock is then synthetic. */
  default boolean ownsProcessingTime() {
    return false;
  }

  /** Records planned in the last epoch, for progress reports. */
  default long lastEpochRecords() {
    return 0;
  }

  /** Records not yet read as the source reports them, or -1 if unknown. */
  default long backlogRecords() {
    return -1;
  }

  /** Bytes not yet read as the source reports them, or -1 if unknown. */
  default long backlogBytes() {
    return -1;
  }

  /**
   * The offsets of the epoch just planned: enough to plan it again ({@link #replay}) and to resume
   * after it ({@link #resumeAfter}). Null if this source cannot be checkpointed (a TestStream).
   */
  @Nullable ObjectNode offsets() throws Exception;

  /** Plans again, exactly, the epoch described by {@code offsets}. */
  List<?> replay(ObjectNode offsets, EpochRequest request) throws Exception;

  /** Positions the source right after the epoch described by {@code offsets} (restart). */
  void resumeAfter(ObjectNode offsets, EpochRequest request) throws Exception;

  /**
   * The last planned epoch is committed: the source may release what it kept for replaying it
   * (Beam: {@code CheckpointMark.finalizeCheckpoint}).
   */
  default void committed() throws Exception {}

  /** The run is over: release readers and connections. */
  default void close() throws Exception {}

  /** {@code source} as epochs. */
  static EpochSource of(SourceSpec source, StageRunner executor) {
    if (source instanceof SourceSpec.UnboundedRead read) {
      return new UnboundedEpochSource(read.stepName(), read.source());
    }
    if (source instanceof SourceSpec.TestStreamRead read) {
      return new TestStreamEpochSource(read.testStream());
    }
    return readOnce(executor, source);
  }

  /** A bounded source read whole in the first epoch; its watermark is then +∞. */
  static EpochSource readOnce(StageRunner executor, SourceSpec source) {
    return new EpochSource() {
      private boolean read;
      private boolean readInLastEpoch;

      @Override
      public List<?> nextEpoch(EpochRequest request) throws Exception {
        readInLastEpoch = !read;
        if (read) {
          return List.of();
        }
        read = true;
        return executor.split(source);
      }

      @Override
      public Instant watermark() {
        return read ? BoundedWindow.TIMESTAMP_MAX_VALUE : BoundedWindow.TIMESTAMP_MIN_VALUE;
      }

      @Override
      public boolean isExhausted() {
        return read;
      }

      @Override
      public ObjectNode offsets() {
        return JsonNodeFactory.instance
            .objectNode()
            .put("kind", "once")
            .put("readInEpoch", readInLastEpoch);
      }

      @Override
      public List<?> replay(ObjectNode offsets, EpochRequest request) throws Exception {
        read = !offsets.path("readInEpoch").asBoolean();
        return nextEpoch(request);
      }

      @Override
      public void resumeAfter(ObjectNode offsets, EpochRequest request) {
        read = true; // every epoch after the first, in which it was read, is after the read
      }
    };
  }
}
