package io.beamline.sdk.internal.execution;

import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * Time as one stage sees it during one epoch.
 *
 * @param bounded true for the single epoch of a bounded run: all input is present, so steps may
 *     use shortcuts that assume every window fires exactly once (combiner lifting, direct grouping)
 * @param inputWatermark the stage's input watermark at the end of this epoch; keyed operators fire
 *     event-time timers up to it after processing the epoch's elements (which are judged against
 *     the previous epoch's watermark)
 * @param processingTime the processing-time clock while the epoch's elements are processed
 * @param endProcessingTime the processing time timers fire up to at the end of the epoch: the same
 *     clock when streaming, +∞ at the end of a bounded run
 * @param keyedState the operator state of the task's partition, null to use a fresh one
 * @param pushedBack elements of the task's partition whose side inputs were not ready, kept across
 *     epochs and retried first; null in a bounded run (side inputs are always ready there)
 * @param info the epoch as sinks see it ({@link io.beamline.sdk.io.EpochInfo#current()}), null
 *     unless the run is checkpointed
 */
public record EpochContext(
    boolean bounded,
    Instant inputWatermark,
    Instant processingTime,
    Instant endProcessingTime,
    KeyedStateStore keyedState,
    java.util.List<org.apache.beam.sdk.values.WindowedValue<?>> pushedBack,
    io.beamline.sdk.io.EpochInfo info) {

  /** The one epoch of a bounded run: wall-clock time while processing, then the end of time. */
  public static EpochContext boundedRun() {
    return new EpochContext(
        true,
        BoundedWindow.TIMESTAMP_MAX_VALUE,
        Instant.now(),
        BoundedWindow.TIMESTAMP_MAX_VALUE,
        null,
        null,
        null);
  }

  /** An epoch of a streaming run: watermark and clock as given, state kept in {@code state}. */
  public static EpochContext streaming(
      Instant inputWatermark, Instant processingTime, KeyedStateStore state) {
    return new EpochContext(
        false, inputWatermark, processingTime, processingTime, state, null, null);
  }
}
