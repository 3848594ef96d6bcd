package io.beamline.monitoring.internal;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class PrometheusExportTest {
  @Test
  public void beamNamesBecomeSnakeCaseWithThePrefixAndNoTotalSuffix() {
    assertEquals("beam_dropped_due_to_lateness", PrometheusExport.beamName("droppedDueToLateness"));
    assertEquals("beam_elements_read", PrometheusExport.beamName("elements_read"));
    assertEquals("beam_records_per_second", PrometheusExport.beamName("records/per second"));
    assertEquals("beam_requests", PrometheusExport.beamName("requests_total"));
    assertEquals("beam_metric", PrometheusExport.beamName("--"));
  }
}
