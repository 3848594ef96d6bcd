package io.beamline.monitoring.internal;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.beamline.monitoring.Alert;
import io.beamline.monitoring.MonitoringOptions;
import io.beamline.monitoring.Progress;
import io.beamline.sdk.EpochProgress;
import java.time.Instant;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;

public class AlertEvaluatorTest {
  private static final long INTERVAL = 200;

  private final AlertEvaluator alerts = new AlertEvaluator(AlertThresholds.defaults());

  private List<AlertEvaluator.Change> observe(EpochProgress p) {
    return observe(p, -1);
  }

  private List<AlertEvaluator.Change> observe(EpochProgress p, long backlogRows) {
    return alerts.observe(new AlertEvaluator.Observation(p, INTERVAL, backlogRows));
  }

  private List<String> active() {
    return alerts.active().stream().map(Alert::name).toList();
  }

  @Test
  public void processingRatioNeedsThreeOverloadedEpochsInARowToRaiseAndThreeCalmOnesToClear() {
    // 130 ms busy of 200 ms = 65% > 60%; the read phase (waiting for input) does not count
    assertThat(observe(Progress.epoch(0).planOffsets(5000).busy(130).build()), empty());
    assertThat(observe(Progress.epoch(1).busy(130).build()), empty());
    observe(Progress.epoch(2).busy(100).build()); // 50%: the streak restarts
    observe(Progress.epoch(3).busy(130).build());
    observe(Progress.epoch(4).busy(130).build());
    List<AlertEvaluator.Change> raised = observe(Progress.epoch(5).busy(130).build());
    assertEquals(1, raised.size());
    assertTrue(raised.get(0).raised());
    Alert alert = raised.get(0).alert();
    assertEquals(Alert.PROCESSING_RATIO, alert.name());
    assertEquals(5, alert.sinceEpoch());
    assertEquals(0.65, alert.value(), 1e-9);
    assertThat(alert.message(), containsString("65% of the 200 ms interval for 3 epochs"));
    assertThat(observe(Progress.epoch(6).busy(190).build()), empty()); // still raised: no second change
    assertEquals(5, alerts.active().get(0).sinceEpoch());
    assertThat(observe(Progress.epoch(7).busy(120).build()), empty()); // exactly 60%: calm
    assertThat(observe(Progress.epoch(8).busy(10).build()), empty());
    assertThat(observe(Progress.epoch(9).busy(130).build()), empty()); // the calm streak restarts
    observe(Progress.epoch(10).busy(10).build());
    observe(Progress.epoch(11).busy(10).build());
    List<AlertEvaluator.Change> cleared = observe(Progress.epoch(12).busy(10).build());
    assertEquals(1, cleared.size());
    assertFalse(cleared.get(0).raised());
    assertThat(active(), empty());
  }

  @Test
  public void backlogInEpochsOfInputAndUnknownBacklogChangesNothing() {
    observe(Progress.epoch(0).rows(1000).build(), 5_000);
    assertThat(active(), empty());
    List<AlertEvaluator.Change> raised = observe(Progress.epoch(1).rows(1000).build(), 10_001);
    assertThat(raised.get(0).alert().message(), containsString("10.0 epochs"));
    assertThat(active(), contains(Alert.BACKLOG));
    assertThat(observe(Progress.epoch(2).rows(1000).build(), -1), empty());
    assertThat(active(), contains(Alert.BACKLOG));
    observe(Progress.epoch(3).rows(1000).build(), 10_000);
    assertThat(active(), empty());
  }

  @Test
  public void lateRowsStayRaisedUntilTenEpochsWithoutThem() {
    observe(Progress.epoch(0).build());
    assertThat(observe(Progress.epoch(1).late(3).build()).get(0).alert().message(), containsString("dropped 3 rows as late"));
    for (int e = 2; e <= 10; e++) {
      assertThat(observe(Progress.epoch(e).build()), empty());
      assertThat(active(), contains(Alert.LATE_ROWS));
    }
    assertFalse(observe(Progress.epoch(11).build()).get(0).raised());
  }

  @Test
  public void stateGrowthOverTenPercentForTenEpochs() {
    long cells = 1000;
    observe(Progress.epoch(0).stateCells(cells).build());
    for (int e = 1; e <= 9; e++) {
      cells = cells * 112 / 100;
      assertThat(observe(Progress.epoch(e).stateCells(cells).build()), empty());
    }
    cells = cells * 112 / 100;
    List<AlertEvaluator.Change> raised = observe(Progress.epoch(10).stateCells(cells).build());
    assertEquals(Alert.STATE_GROWTH, raised.get(0).alert().name());
    // +5% is not growing
    assertFalse(observe(Progress.epoch(11).stateCells(cells * 105 / 100).build()).get(0).raised());
  }

  @Test
  public void watermarkLagAgainstTheSloFromTheEpochsEnd() {
    MonitoringOptions options = PipelineOptionsFactory.as(MonitoringOptions.class);
    options.setWatermarkLagSlo("30s");
    AlertEvaluator withSlo = new AlertEvaluator(AlertThresholds.of(options));
    Instant start = Instant.parse("2026-12-01T10:00:00Z");
    // epoch ends at start + 150 ms; watermark 29.85 s before start is 30 s behind: not over
    EpochProgress ok = Progress.epoch(0).start(start).watermark(start.minusMillis(29_850).toString()).build();
    assertThat(withSlo.observe(new AlertEvaluator.Observation(ok, INTERVAL, -1)), empty());
    EpochProgress late = Progress.epoch(1).start(start).watermark(start.minusSeconds(60).toString()).build();
    Alert alert = withSlo.observe(new AlertEvaluator.Observation(late, INTERVAL, -1)).get(0).alert();
    assertEquals(Alert.WATERMARK_LAG, alert.name());
    assertEquals(60.15, alert.value(), 1e-9);
    assertThat(withSlo.observe(new AlertEvaluator.Observation(Progress.epoch(2).watermark("-inf").build(), INTERVAL, -1)), empty());
    assertFalse(withSlo.observe(new AlertEvaluator.Observation(Progress.epoch(3).watermark("+inf").build(), INTERVAL, -1)).get(0).raised());
    // without an SLO there is no such alert
    observe(late);
    assertThat(active(), empty());
  }

  @Test
  public void thresholdsComeFromTheOptionsWithTheIssuesDefaults() {
    MonitoringOptions options = PipelineOptionsFactory.as(MonitoringOptions.class);
    assertEquals(AlertThresholds.defaults(), AlertThresholds.of(options));
    options.setAlertProcessingRatio(0.0);
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> AlertThresholds.of(options)).getMessage(),
        containsString("--alertProcessingRatio must be a number above 0"));
    options.setAlertProcessingRatio(0.6);
    options.setWatermarkLagSlo("5 minutes");
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> AlertThresholds.of(options)).getMessage(),
        containsString("--watermarkLagSlo must be a whole number with a unit"));
  }
}
