package io.beamline.runners.realtime.internal;

import io.beamline.sdk.internal.operators.Operator;
import java.util.List;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * Plays a {@link TestStream}, event by event, each only once the run is quiescent — nothing in
 * flight between tasks and every task idle ({@link InFlight}) — so each event has gone through the
 * whole pipeline, watermarks propagated and timers fired, before the next, as on Beam's DirectRunner.
 * Element events are emitted with their timestamps, watermark events move the stage's watermark,
 * processing-time events advance the run's synthetic clock and tell every task ({@link
 * Inbox.Signal#PROCESSING_TIME}). After its last event a TestStream's watermark is +∞.
 *
 * <p>Threading: its own thread (see {@link TaskThread}).
 */
final class TestStreamTask extends TaskThread {
  private final TestStream<?> testStream;
  private final List<Inbox> everyTask;

  /**
   * @param everyTask the inboxes of all other tasks of the run
   */
  TestStreamTask(TaskThread.Parts parts, TestStream<?> testStream, List<Inbox> everyTask) {
    super(parts);
    this.testStream = testStream;
    this.everyTask = everyTask;
  }

  @Override
  protected void body() throws Exception {
    Operator.Receiver output = task.sourceOutput();
    endBundle(); // settles this task's own start
    for (TestStream.Event<?> event : testStream.getEvents()) {
      run.inFlight().awaitQuiescence(run::isStopped);
      if (event instanceof TestStream.ElementEvent<?> elements) {
        for (TimestampedValue<?> value : elements.getElements()) {
          countSourceElement();
          output.accept(
              WindowedValues.timestampedValueInGlobalWindow(value.getValue(), value.getTimestamp()));
        }
      } else if (event instanceof TestStream.WatermarkEvent<?> mark) {
        advanceInputWatermark(mark.getWatermark());
      } else if (event instanceof TestStream.ProcessingTimeEvent<?> time) {
        run.clock().advance(time.getProcessingTimeAdvance());
        advanceProcessingTime(run.clock().now());
        for (Inbox other : everyTask) {
          other.control(Inbox.Signal.PROCESSING_TIME);
        }
      }
      endBundle();
    }
    run.inFlight().awaitQuiescence(run::isStopped);
    advanceInputWatermark(BoundedWindow.TIMESTAMP_MAX_VALUE);
  }
}
