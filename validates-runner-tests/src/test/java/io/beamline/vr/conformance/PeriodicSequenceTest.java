package io.beamline.vr.conformance;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PeriodicImpulse;
import org.apache.beam.sdk.transforms.PeriodicSequence;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * Issue 9, bug 4: {@code PeriodicSequence} (and {@code PeriodicImpulse}, built on it) emit one
 * element per interval of {@code [first, last]} as the wall clock reaches it and then end. The
 * sequences start in the past, so most elements are due at once, and end one to two seconds after
 * the pipeline starts: the run has to wait for the wall clock, which is what the transform means
 * (it reads {@code Instant.now()}), not a sleep of the test.
 */
@RunWith(Parameterized.class)
public class PeriodicSequenceTest implements Serializable {
  private static final Duration INTERVAL = Duration.millis(500);

  @Parameterized.Parameters(name = "{0}")
  public static List<ConformanceRunner> runners() {
    return ConformanceRunner.all();
  }

  @Rule public final transient TestPipeline p;
  private final ConformanceRunner runner;

  public PeriodicSequenceTest(ConformanceRunner runner) {
    this.runner = runner;
    this.p = runner.pipeline();
  }

  /** A whole second two seconds ago, so every run sees the same grid. */
  private static Instant start() {
    long now = System.currentTimeMillis();
    return new Instant(now - now % 1000 - 2000);
  }

  /** first, first + interval, ... up to and including last (as on DirectRunner). */
  private static List<Instant> every(Instant first, Instant last) {
    return every(first, last, INTERVAL);
  }

  private static List<Instant> every(Instant first, Instant last, Duration interval) {
    List<Instant> expected = new ArrayList<>();
    for (Instant t = first; !t.isAfter(last); t = t.plus(interval)) {
      expected.add(t);
    }
    return expected;
  }

  @Test
  public void periodicSequenceEmitsEveryIntervalAndEnds() {
    Instant first = start();
    Instant last = first.plus(Duration.standardSeconds(4));
    PCollection<Instant> ticks =
        p.apply(Create.of(new PeriodicSequence.SequenceDefinition(first, last, INTERVAL)))
            .apply(PeriodicSequence.create());
    PAssert.that(ticks).containsInAnyOrder(every(first, last));
    p.run();
  }

  @Test
  public void periodicSequenceEntirelyInThePastEnds() {
    Instant first = start().minus(Duration.standardSeconds(10));
    Instant last = first.plus(Duration.standardSeconds(3));
    PCollection<Instant> ticks =
        p.apply(Create.of(new PeriodicSequence.SequenceDefinition(first, last, INTERVAL)))
            .apply(PeriodicSequence.create());
    PAssert.that(ticks).containsInAnyOrder(every(first, last));
    p.run();
  }

  /**
   * Resume delays of a few milliseconds: a resume timer often falls due exactly at the processing
   * time of the next epoch, which then fires nothing (a timer fires once processing time is past
   * it); the run must still wait for it rather than take it for stuck. DirectRunner, the reference,
   * gets 50 ms: with 7 ms its quiescence loop once spun for over ten minutes at full CPU in CI
   * (firing timers in {@code WatermarkManager.extractFiredTimers}) without finishing.
   */
  @Test
  public void periodicImpulseWithAShortIntervalEnds() {
    Duration interval = Duration.millis(runner == ConformanceRunner.DIRECT ? 50 : 7);
    Instant first = start().plus(Duration.standardSeconds(1));
    Instant last = first.plus(Duration.standardSeconds(2));
    PCollection<Instant> ticks =
        p.apply(PeriodicImpulse.create().startAt(first).stopAt(last).withInterval(interval));
    PAssert.that(ticks).containsInAnyOrder(every(first, last, interval));
    p.run();
  }

  @Test
  public void periodicImpulseEmitsEveryIntervalAndEnds() {
    Instant first = start();
    Instant last = first.plus(Duration.standardSeconds(4));
    PCollection<Instant> ticks =
        p.apply(PeriodicImpulse.create().startAt(first).stopAt(last).withInterval(INTERVAL));
    PAssert.that(ticks).containsInAnyOrder(every(first, last));
    p.run();
  }
}
