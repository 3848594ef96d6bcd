package io.beamline.runners.microbatch;

import static org.junit.Assert.assertEquals;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/** Pipelines that run as a sequence of epochs: TestStream-driven, or with --streaming=true. */
public class EpochExecutionTest {

  private static Pipeline pipeline(boolean streaming) {
    MicroBatchPipelineOptions options = PipelineOptionsFactory.as(MicroBatchPipelineOptions.class);
    options.setRunner(MicroBatchRunner.class);
    options.setParallelism(2);
    options.as(org.apache.beam.sdk.options.StreamingOptions.class).setStreaming(streaming);
    return Pipeline.create(options);
  }

  @Test
  public void lateElementAfterTheWatermarkPassedIsDroppedAndOnTimeOnesAreSummed() {
    Pipeline p = pipeline(false);
    TestStream<KV<String, Long>> events =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .addElements(
                TimestampedValue.of(KV.of("a", 1L), new Instant(1)),
                TimestampedValue.of(KV.of("a", 2L), new Instant(8)))
            .advanceWatermarkTo(new Instant(20))
            // window [0, 10) expired at watermark 20 with zero allowed lateness: dropped
            .addElements(TimestampedValue.of(KV.of("a", 100L), new Instant(5)))
            .addElements(TimestampedValue.of(KV.of("a", 4L), new Instant(25)))
            .advanceWatermarkToInfinity();
    PCollection<KV<String, Long>> sums =
        p.apply(events)
            .apply(Window.into(FixedWindows.of(Duration.millis(10))))
            .apply(Sum.longsPerKey());
    PAssert.that(sums)
        .inWindow(new IntervalWindow(new Instant(0), new Instant(10)))
        .containsInAnyOrder(KV.of("a", 3L));
    PAssert.that(sums)
        .inWindow(new IntervalWindow(new Instant(20), new Instant(30)))
        .containsInAnyOrder(KV.of("a", 4L));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  @Test
  public void boundedPipelineGivesTheSameResultWithStreamingTrue() {
    Pipeline p = pipeline(true);
    PCollection<KV<Long, Long>> sums =
        p.apply(GenerateSequence.from(0).to(1_000))
            .apply(
                MapElements.into(
                        TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                    .via(x -> KV.of(x % 2, x)))
            .apply(Sum.longsPerKey());
    // evens 0+2+…+998 = 249,500; odds 1+3+…+999 = 250,000
    PAssert.that(sums).containsInAnyOrder(KV.of(0L, 249_500L), KV.of(1L, 250_000L));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }
}
