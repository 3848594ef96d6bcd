package io.beamline.sdk.internal.execution;

import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * A source as the {@link EpochExecutor} sees it: asked once per epoch for the slice of input to
 * read in that epoch, it also reports its watermark and whether it is exhausted.
 *
 * <p>Threading: called from the driver thread only.
 */
public interface EpochSource {

  /**
   * Plans the next epoch and returns the splits to read in it (possibly none). May advance {@code
   * clock} (a TestStream's processing-time events).
   */
  List<?> nextEpoch(PipelineOptions options, int desiredSplits, ProcessingClock clock)
      throws Exception;

  /** Event-time watermark of the source once the planned epoch has been read. */
  Instant watermark();

  /** True when no epoch will bring more input; the watermark is then +∞. */
  boolean isExhausted();

  /** True if this source dictates processing time (a TestStream): the clock is then synthetic. */
  default boolean ownsProcessingTime() {
    return false;
  }

  /** A bounded source read whole in the first epoch; its watermark is then +∞. */
  static EpochSource readOnce(PlanExecutor executor, SourceSpec source) {
    return new EpochSource() {
      private boolean read;

      @Override
      public List<?> nextEpoch(PipelineOptions options, int desiredSplits, ProcessingClock clock)
          throws Exception {
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
    };
  }
}
