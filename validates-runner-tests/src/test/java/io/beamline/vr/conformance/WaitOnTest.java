package io.beamline.vr.conformance;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * Issue 9, bug 3: {@code Wait.on(signal)} releases a main-input element only once the signal's
 * window that its window maps to is done, that is when the signal's watermark has passed the end of
 * that window plus the signal's allowed lateness (Beam's {@code Wait} javadoc), also when that
 * window is still empty while the watermark passes its end.
 */
@RunWith(Parameterized.class)
public class WaitOnTest implements Serializable {
  /** What the pipeline did, in order: "signal X" when a signal element is seen, "main X" when released. */
  private static final Queue<String> LOG = new ConcurrentLinkedQueue<>();

  @Parameterized.Parameters(name = "{0}")
  public static List<ConformanceRunner> runners() {
    return ConformanceRunner.all();
  }

  @Rule public final transient TestPipeline p;

  public WaitOnTest(ConformanceRunner runner) {
    this.p = runner.pipeline();
  }

  private static Instant seconds(int s) {
    return new Instant(0).plus(Duration.standardSeconds(s));
  }

  @Test
  public void mainWaitsForTheSignalWindowItsWindowMapsTo() {
    LOG.clear();
    TestStream<String> events =
        TestStream.create(StringUtf8Coder.of())
            .advanceWatermarkTo(seconds(0))
            // main window [0s, 15s) maps to the signal window containing 14.999s: [14s, 21s)
            .addElements(
                TimestampedValue.of("main m", seconds(5)),
                TimestampedValue.of("signal s1", seconds(1)))
            // [14s, 21s) has ended, but may still get data until 21s + 15s of allowed lateness
            .advanceWatermarkTo(seconds(25))
            .addElements(TimestampedValue.of("signal s2", seconds(16)))
            .advanceWatermarkTo(seconds(40))
            .advanceWatermarkToInfinity();
    PCollection<String> all = p.apply(events);
    PCollection<String> signal =
        all.apply("signals", Filter.by((String s) -> s.startsWith("signal")))
            .apply("record signal", ParDo.of(new Record()))
            .apply(
                "signal windows",
                Window.<String>into(FixedWindows.of(Duration.standardSeconds(7)))
                    .withAllowedLateness(Duration.standardSeconds(15))
                    .discardingFiredPanes());
    PCollection<String> released =
        all.apply("mains", Filter.by((String s) -> s.startsWith("main")))
            .apply(
                "main windows",
                Window.<String>into(FixedWindows.of(Duration.standardSeconds(15))))
            .apply(Wait.on(signal))
            .apply("record main", ParDo.of(new Record()));
    PAssert.that(released).containsInAnyOrder("main m");
    p.run();
    List<String> log = new ArrayList<>(LOG);
    log.remove("signal s1");
    assertThat(
        "the main element waits until signal window [14s, 21s) is done, after s2",
        log,
        contains("signal s2", "main m"));
  }

  /** Appends each element to {@link #LOG} and passes it on. */
  static final class Record extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String element, OutputReceiver<String> out) {
      LOG.add(element);
      out.output(element);
    }
  }
}
