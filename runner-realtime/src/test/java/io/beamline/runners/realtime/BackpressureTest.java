package io.beamline.runners.realtime;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.Test;

/**
 * A slow sink does not make memory grow and loses nothing: the queues between tasks are bounded,
 * so a fast source is held back (backpressure) instead of buffering its output.
 *
 * <p>The sink takes one element per permit the test hands out, one at a time, while the source could
 * produce all elements at once. Every element the source emits counts as "emitted" before it enters
 * a queue, and the sink, at each element, records how many are emitted but not yet consumed: that
 * is everything buffered between them. It must never exceed the queues' capacity (plus one element
 * per producer being offered and one per consumer being processed), must reach the capacity (so the
 * test sees the queues fill, and would see unbounded buffering), and every element must arrive.
 */
public class BackpressureTest {
  private static final int ELEMENTS = 20_000;
  private static final int CAPACITY = 16;
  private static final int PARALLELISM = 2;
  private static final AtomicLong EMITTED = new AtomicLong();
  private static final AtomicLong CONSUMED = new AtomicLong();
  private static final AtomicLong MAX_BUFFERED = new AtomicLong();
  private static final Semaphore PERMITS = new Semaphore(0);

  @Test
  public void slowSinkHoldsTheSourceBackAndLosesNothing() throws Exception {
    RealtimePipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=RealtimeRunner",
                "--parallelism=" + PARALLELISM,
                "--channelCapacity=" + CAPACITY,
                "--enforceModel=false")
            .as(RealtimePipelineOptions.class);
    Pipeline p = Pipeline.create(options);
    p.apply(GenerateSequence.from(0).to(ELEMENTS))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(
                    n -> {
                      EMITTED.incrementAndGet();
                      return KV.of(n % 7, n);
                    }))
        .apply(ParDo.of(new SlowSink()));
    PipelineResult result = p.run();
    for (int i = 1; i <= ELEMENTS; i++) {
      PERMITS.release();
      while (CONSUMED.get() < i) {
        Thread.onSpinWait(); // lock-step with the sink: one element at a time
      }
    }
    assertThat(result.waitUntilFinish(Duration.standardMinutes(1)), equalTo(PipelineResult.State.DONE));
    long queues = (long) PARALLELISM * PARALLELISM * CAPACITY;
    assertThat(CONSUMED.get(), equalTo((long) ELEMENTS));
    assertThat(MAX_BUFFERED.get(), lessThanOrEqualTo(queues + 2L * PARALLELISM));
    assertThat(MAX_BUFFERED.get(), greaterThanOrEqualTo((long) CAPACITY));
  }

  /** A stateful sink (so a keyed exchange separates it from the source) that waits for permits. */
  private static final class SlowSink extends DoFn<KV<Long, Long>, Void> {
    @StateId("seen")
    private final StateSpec<ValueState<Long>> seen = StateSpecs.value();

    @ProcessElement
    public void process(@StateId("seen") ValueState<Long> seen) throws InterruptedException {
      PERMITS.acquire();
      MAX_BUFFERED.accumulateAndGet(EMITTED.get() - CONSUMED.get(), Math::max);
      Long before = seen.read();
      seen.write(before == null ? 1 : before + 1);
      CONSUMED.incrementAndGet();
    }
  }
}
