package io.beamline.runners.microbatch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import com.google.common.base.Throwables;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/**
 * Beam's model as other runners give it: DoFn instances reused across epochs, elements encoded at
 * the shuffle (a failing coder fails the run naming the step), and the model checks of {@code
 * --enforceModel} on in {@code TestMicroBatchRunner} and switchable off.
 */
public class BeamModelTest {
  static final AtomicInteger SETUPS = new AtomicInteger();
  static final AtomicInteger TEARDOWNS = new AtomicInteger();
  static final AtomicInteger BUNDLES = new AtomicInteger();

  /** Counts its lifecycle calls. */
  static final class LifecycleFn extends DoFn<KV<String, Long>, KV<String, Long>> {
    @Setup
    public void setup() {
      SETUPS.incrementAndGet();
    }

    @StartBundle
    public void startBundle() {
      BUNDLES.incrementAndGet();
    }

    @ProcessElement
    public void process(@Element KV<String, Long> e, OutputReceiver<KV<String, Long>> out) {
      out.output(e);
    }

    @Teardown
    public void teardown() {
      TEARDOWNS.incrementAndGet();
    }
  }

  private static Pipeline pipeline(Class<? extends org.apache.beam.sdk.PipelineRunner<?>> runner) {
    MicroBatchPipelineOptions options = PipelineOptionsFactory.as(MicroBatchPipelineOptions.class);
    options.setRunner(runner);
    options.setParallelism(2);
    options.as(StreamingOptions.class).setStreaming(true);
    return Pipeline.create(options);
  }

  @Test
  public void doFnInstancesAreReusedAcrossEpochsAndTornDownAtTheEnd() {
    SETUPS.set(0);
    TEARDOWNS.set(0);
    BUNDLES.set(0);
    Pipeline p = pipeline(TestMicroBatchRunner.class);
    TestStream.Builder<KV<String, Long>> events =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
    for (int epoch = 0; epoch < 10; epoch++) {
      events =
          events
              .addElements(TimestampedValue.of(KV.of("k" + epoch, 1L), new Instant(epoch)))
              .advanceWatermarkTo(new Instant(epoch + 1)); // its window fires in this epoch
    }
    PCollection<KV<String, Long>> out =
        p.apply(events.advanceWatermarkToInfinity())
            .apply(Window.into(FixedWindows.of(Duration.millis(1))))
            .apply(GroupByKey.create())
            .apply(MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                .via(kv -> KV.of(kv.getKey(), 1L)))
            .apply(ParDo.of(new LifecycleFn()));
    PAssert.that(out.apply(Sum.longsPerKey()).apply(MapElements.into(TypeDescriptors.longs()).via(KV::getValue)))
        .satisfies(
            sums -> {
              long total = 0;
              for (long s : sums) {
                total += s;
              }
              assertEquals(10, total);
              return null;
            });
    p.run().waitUntilFinish();
    assertThat("one instance per task, not per epoch", SETUPS.get(), lessThanOrEqualTo(2));
    assertThat("a bundle per epoch with input", BUNDLES.get(), greaterThanOrEqualTo(10));
    assertEquals(SETUPS.get(), TEARDOWNS.get());
  }

  /** Encodes, and fails to decode: a coder that passes on the producer side only. */
  static final class UndecodableCoder extends CustomCoder<String> {
    @Override
    public void encode(String value, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(value, out);
    }

    @Override
    public String decode(InputStream in) throws CoderException {
      throw new CoderException("cannot decode");
    }
  }

  @Test
  public void aCoderThatFailsAtTheShuffleFailsTheRunNamingTheExchange() {
    Pipeline p = pipeline(MicroBatchRunner.class);
    p.getOptions().as(StreamingOptions.class).setStreaming(false);
    p.apply(Create.of(KV.of("a", "x")))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), new UndecodableCoder()))
        .apply("Group", GroupByKey.create());
    PipelineResult result = p.run();
    Exception e = assertThrows(Exception.class, result::waitUntilFinish);
    String trace = Throwables.getStackTraceAsString(e);
    assertThat(trace, containsString("failed to decode an element of exchange Group.keyed"));
    assertEquals(PipelineResult.State.FAILED, result.getState());
  }

  /** Mutates the list it output: illegal in Beam's model. */
  static final class MutatingFn extends DoFn<Long, List<Long>> {
    @ProcessElement
    public void process(@Element Long x, OutputReceiver<List<Long>> out) {
      List<Long> list = new ArrayList<>(List.of(x));
      out.output(list);
      list.add(x);
    }
  }

  @Test
  public void theTestRunnerFailsADoFnThatMutatesItsOutputAndTheChecksCanBeSwitchedOff() {
    Pipeline checked = pipeline(TestMicroBatchRunner.class);
    checked.getOptions().as(StreamingOptions.class).setStreaming(false);
    checked.apply(Create.of(1L, 2L)).apply("Mutate", ParDo.of(new MutatingFn()));
    Exception e = assertThrows(Exception.class, () -> checked.run());
    assertThat(Throwables.getStackTraceAsString(e), containsString("Mutate"));
    assertThat(Throwables.getStackTraceAsString(e), containsString("after it was output"));

    Pipeline unchecked = pipeline(TestMicroBatchRunner.class);
    unchecked.getOptions().as(StreamingOptions.class).setStreaming(false);
    unchecked.getOptions().as(MicroBatchPipelineOptions.class).setEnforceModel(false);
    unchecked.apply(Create.of(1L, 2L)).apply("Mutate", ParDo.of(new MutatingFn()));
    assertEquals(PipelineResult.State.DONE, unchecked.run().waitUntilFinish());
  }
}
