package io.beamline.runners.realtime;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertThrows;

import com.google.common.base.Throwables;
import io.beamline.sdk.io.DeferredFlush;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.Before;
import org.junit.Test;

/**
 * RealtimeRunner's side of {@link DeferredFlush}: a sink that defers its flush is flushed once, at
 * the end of its task's input, with everything it was given; a failed flush fails the run.
 */
public class DeferredFlushTest {
  private static final long RECORDS = 2_000;
  /** Per sink instance: elements it was given, and how many of them its flushes saw, summed. */
  private static final Map<String, AtomicLong> GIVEN = new ConcurrentHashMap<>();
  private static final Map<String, AtomicLong> FLUSHED = new ConcurrentHashMap<>();
  private static final Map<String, AtomicLong> FLUSHES = new ConcurrentHashMap<>();
  private static final AtomicLong BUNDLES = new AtomicLong();
  private static final AtomicLong NOT_DEFERRED = new AtomicLong();

  @Before
  public void reset() {
    GIVEN.clear();
    FLUSHED.clear();
    FLUSHES.clear();
    BUNDLES.set(0);
    NOT_DEFERRED.set(0);
  }

  private static Pipeline streamingPipeline() {
    return Pipeline.create(
        PipelineOptionsFactory.fromArgs(
                "--runner=TestRealtimeRunner",
                "--streaming=true",
                "--parallelism=2",
                "--maxBundleElements=10")
            .create());
  }

  @Test
  public void aSinkIsFlushedOnceAtTheEndOfItsInputWithEverythingItWasGiven() {
    Pipeline p = streamingPipeline();
    p.apply(GenerateSequence.from(0).to(RECORDS)).apply(ParDo.of(new DeferringSink(false)));
    p.run();

    assertThat("the sink ran on task threads with a DeferredFlush", NOT_DEFERRED.get(), equalTo(0L));
    assertThat("bundles of at most 10 elements", BUNDLES.get(), greaterThan(RECORDS / 10 - 1));
    assertThat(GIVEN.values().stream().mapToLong(AtomicLong::get).sum(), equalTo(RECORDS));
    for (String instance : GIVEN.keySet()) {
      if (GIVEN.get(instance).get() == 0) {
        continue; // a sink given nothing has nothing to flush
      }
      assertThat(instance + " flushes", FLUSHES.get(instance).get(), equalTo(1L));
      assertThat(instance + " flushed", FLUSHED.get(instance).get(), equalTo(GIVEN.get(instance).get()));
    }
  }

  @Test
  public void aFailedFlushFailsTheRun() {
    Pipeline p = streamingPipeline();
    p.apply(GenerateSequence.from(0).to(RECORDS)).apply(ParDo.of(new DeferringSink(true)));
    Pipeline.PipelineExecutionException e =
        assertThrows(Pipeline.PipelineExecutionException.class, p::run);
    assertThat(Throwables.getRootCause(e).getMessage(), containsString("the broker is gone"));
  }

  /** Counts what it is given and defers a flush that records how much of it was flushed. */
  private static final class DeferringSink extends DoFn<Long, Void> {
    private final boolean failFlush;
    private transient String instance;
    private transient DeferredFlush.Flush flush;

    DeferringSink(boolean failFlush) {
      this.failFlush = failFlush;
    }

    @Setup
    public void setup() {
      instance = Integer.toHexString(System.identityHashCode(this));
      GIVEN.put(instance, new AtomicLong());
      FLUSHED.put(instance, new AtomicLong());
      FLUSHES.put(instance, new AtomicLong());
      flush =
          () -> {
            if (failFlush) {
              throw new IOException("the broker is gone");
            }
            FLUSHES.get(instance).incrementAndGet();
            FLUSHED.get(instance).set(GIVEN.get(instance).get());
          };
    }

    @ProcessElement
    public void process() {
      GIVEN.get(instance).incrementAndGet();
    }

    @FinishBundle
    public void finishBundle() {
      BUNDLES.incrementAndGet();
      DeferredFlush.current().ifPresentOrElse(f -> f.defer(flush), NOT_DEFERRED::incrementAndGet);
    }
  }
}
