package io.beamline.monitoring.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import io.beamline.monitoring.CapacityReport;
import io.beamline.monitoring.Progress;
import org.junit.Test;

public class CapacityEstimatorTest {

  /**
   * The seed's sizing rule: 200,000 rows/s to process, 50,000 rows/s per core, 50% processing
   * ratio: 8 cores, 10.4 with 30% headroom.
   */
  @Test
  public void seedExample() {
    CapacityEstimator capacity = new CapacityEstimator(4, 200_000.0, 0.3);
    assertNull(capacity.report());
    // 4 cores, 100,000 rows in 500 ms busy: 200,000 rows/s, 50,000 rows/s per core
    capacity.observe(Progress.epoch(0).rows(100_000).busy(500).build(), 1_000);
    CapacityReport r = capacity.report();
    assertEquals(50_000, r.rowsPerSecondPerCore(), 1e-6);
    assertEquals(8, r.coresNeeded(), 1e-9);
    assertEquals(10.4, r.coresWithHeadroom(), 1e-9);
    assertEquals(0.5, r.processingRatio(), 1e-9);
  }

  @Test
  public void sizesForTheMeasuredInputRateByDefaultOverTheLastTwentyEpochs() {
    CapacityEstimator capacity = new CapacityEstimator(2, null, 0.5);
    capacity.observe(Progress.epoch(0).rows(0).build(), 200); // no input: ignored
    for (int e = 1; e <= 30; e++) {
      // Progress sets inputRowsPerSecond = rows / 0.2 s: 5,000 rows/s
      capacity.observe(Progress.epoch(e).rows(1_000).busy(e <= 10 ? 1_000 : 100).build(), 200);
    }
    CapacityReport r = capacity.report();
    assertEquals(20, r.epochs());
    assertEquals(5_000, r.rowsPerSecondPerCore(), 1e-6); // 1,000 rows / 0.1 s / 2 cores
    assertEquals(5_000, r.targetRowsPerSecond(), 1e-6);
    assertEquals(2, r.coresNeeded(), 1e-9);
    assertEquals(3, r.coresWithHeadroom(), 1e-9);
  }
}
