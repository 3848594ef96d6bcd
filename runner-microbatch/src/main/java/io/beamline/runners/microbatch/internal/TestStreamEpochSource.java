package io.beamline.runners.microbatch.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * A {@link TestStream} as epochs: one event per epoch, so each event is processed by the whole
 * pipeline — watermarks propagated, timers fired — before the next one. Element events become one
 * split (their {@code TimestampedValue}s), watermark events move the source's watermark,
 * processing-time events advance the run's synthetic clock. Not checkpointable: a TestStream run
 * is a test.
 */
final class TestStreamEpochSource implements EpochSource {
  private final TestStream<?> testStream;
  private int next;
  private boolean exhausted;
  private Instant watermark = BoundedWindow.TIMESTAMP_MIN_VALUE;

  TestStreamEpochSource(TestStream<?> testStream) {
    this.testStream = testStream;
  }

  @Override
  public List<?> nextEpoch(EpochRequest request) {
    if (next >= testStream.getEvents().size()) {
      // After its last event a TestStream is done and its watermark is +∞ (as on Beam's
      // DirectRunner), whether or not the events ended with advanceWatermarkToInfinity().
      watermark = BoundedWindow.TIMESTAMP_MAX_VALUE;
      exhausted = true;
      return List.of();
    }
    TestStream.Event<?> event = testStream.getEvents().get(next++);
    if (event instanceof TestStream.ElementEvent<?> elements) {
      List<Object> split = new ArrayList<>();
      elements.getElements().forEach(split::add);
      return List.of(split);
    } else if (event instanceof TestStream.WatermarkEvent<?> mark) {
      watermark = mark.getWatermark();
    } else if (event instanceof TestStream.ProcessingTimeEvent<?> time) {
      request.clock().advance(time.getProcessingTimeAdvance());
    }
    return List.of();
  }

  @Override
  public Instant watermark() {
    return watermark;
  }

  @Override
  public boolean isExhausted() {
    return exhausted;
  }

  @Override
  public boolean ownsProcessingTime() {
    return true;
  }

  @Override
  public ObjectNode offsets() {
    return null; // a TestStream run is a test: it is not checkpointed
  }

  @Override
  public List<?> replay(ObjectNode offsets, EpochRequest request) {
    throw new UnsupportedOperationException("A TestStream is not checkpointed");
  }

  @Override
  public void resumeAfter(ObjectNode offsets, EpochRequest request) {
    throw new UnsupportedOperationException("A TestStream is not checkpointed");
  }
}
