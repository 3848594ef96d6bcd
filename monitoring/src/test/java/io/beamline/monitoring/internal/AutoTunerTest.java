package io.beamline.monitoring.internal;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamline.monitoring.EpochTuning;
import io.beamline.monitoring.Progress;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

public class AutoTunerTest {
  private final List<String> log = new ArrayList<>();
  private final AutoTuner tuner = new AutoTuner(new EpochTuning(200, 100_000), 10_000, log::add);

  @Test
  public void aFullCapThatTakesTooLongShrinksTheCapToWhatFitsIn40PercentOfTheInterval() {
    // 100,000 rows in 1,000 ms busy = 100 rows/ms; 40% of 200 ms holds 8,000 rows
    EpochTuning next = tuner.next(Progress.epoch(3).rows(100_000).busy(1_000).build());
    assertEquals(new EpochTuning(200, 8_000), next);
    assertEquals(next, tuner.current());
    assertEquals(1, log.size());
    assertThat(log.get(0), containsString("auto-tune after epoch 3: batch interval 200 -> 200 ms, records per epoch 100,000 -> 8,000"));
    assertThat(log.get(0), containsString("a full cap"));
  }

  @Test
  public void aSmallEpochThatTakesTooLongGetsALongerInterval() {
    // 1,000 rows (everything that arrived) in 150 ms: 75% of the interval, mostly fixed cost
    EpochTuning next = tuner.next(Progress.epoch(0).rows(1_000).busy(150).build());
    assertEquals(new EpochTuning(375, 100_000), next);
    assertThat(log.get(0), containsString("longer interval"));
  }

  @Test
  public void judgesTheEpochAfterAChangeOnlyOnceItRanWithTheNewSettingsAndIgnoresReplays() {
    tuner.next(Progress.epoch(0).rows(1_000).busy(150).build());
    EpochTuning after = tuner.current();
    assertEquals(after, tuner.next(Progress.epoch(1).rows(1_000).busy(300).build())); // settling
    assertEquals(after, tuner.next(Progress.epoch(2).rows(100_000).busy(5_000).replayed().build()));
    assertEquals(1, log.size());
  }

  @Test
  public void givesBackCapThenIntervalAfterFiveCalmEpochs() {
    tuner.next(Progress.epoch(0).rows(100_000).busy(1_000).build()); // cap 8,000
    tuner.next(Progress.epoch(1).rows(8_000).busy(80).build()); // settling
    for (int e = 2; e < 6; e++) {
      tuner.next(Progress.epoch(e).rows(100).busy(10).build());
      assertEquals(8_000, tuner.current().maxRecordsPerEpoch());
    }
    tuner.next(Progress.epoch(6).rows(100).busy(10).build());
    assertEquals(new EpochTuning(200, 16_000), tuner.current());
    assertThat(log.get(1), containsString("larger cap"));
  }

  @Test
  public void neverLeavesItsBounds() {
    AutoTuner bounded = new AutoTuner(new EpochTuning(200, 1_000), 400, log::add);
    bounded.next(Progress.epoch(0).rows(10).busy(1_000).build()); // wants 2,500 ms
    assertEquals(new EpochTuning(400, 1_000), bounded.current());
    bounded.next(Progress.epoch(1).rows(10).busy(1_000).build()); // settling
    // at the longest interval it sheds load with the cap instead: 10 rows/s... fits 1 row, floor 100
    bounded.next(Progress.epoch(2).rows(10).busy(1_000).build());
    assertEquals(new EpochTuning(400, 100), bounded.current());
  }

  @Test
  public void aCapAtItsLowerBoundThatStillTakesTooLongGetsALongerInterval() {
    AutoTuner small = new AutoTuner(new EpochTuning(100, 100), 10_000, log::add);
    // 100 rows (a full cap at the floor) in 130 ms: the fixed cost is the problem
    small.next(Progress.epoch(0).rows(100).busy(130).build());
    assertEquals(new EpochTuning(325, 100), small.current());
    assertThat(log.get(0), containsString("the cap is at its lower bound"));
  }

  /**
   * A simulated overloaded job under a controllable clock: input arrives at 60 rows/ms, each
   * epoch costs 20 ms plus 1/100 ms per row, and the source always has what arrived (backlog
   * included). With the configured 200 ms interval and 100,000 cap the epochs run over their
   * interval; the tuner must bring every later epoch under 50%.
   */
  @Test
  public void bringsASimulatedOverloadedJobUnderHalfItsInterval() {
    double arrivalPerMilli = 60;
    double rowsPerMilli = 100;
    double fixedMillis = 20;
    double backlog = 0;
    double nowMillis = 0;
    double deadline = 0;
    List<Double> ratios = new ArrayList<>();
    for (int e = 0; e < 60; e++) {
      EpochTuning t = tuner.current();
      deadline = Math.max(deadline + t.batchIntervalMillis(), nowMillis);
      double waited = Math.max(0, deadline - nowMillis);
      backlog += waited * arrivalPerMilli;
      long rows = (long) Math.min(backlog, t.maxRecordsPerEpoch());
      backlog -= rows;
      long busy = Math.round(fixedMillis + rows / rowsPerMilli);
      nowMillis += waited + busy;
      backlog += busy * arrivalPerMilli;
      ratios.add(busy / (double) t.batchIntervalMillis());
      tuner.next(Progress.epoch(e).rows(rows).planOffsets((long) waited).busy(busy).build());
    }
    assertTrue("overloaded at first: " + ratios, ratios.get(0) > 0.5 || ratios.get(1) > 0.5);
    for (double r : ratios.subList(30, 60)) {
      assertThat(r, lessThanOrEqualTo(AutoTuner.TARGET));
    }
    assertThat(log, org.hamcrest.Matchers.not(empty()));
  }
}
