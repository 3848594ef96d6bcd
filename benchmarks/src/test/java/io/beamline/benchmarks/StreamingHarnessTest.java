package io.beamline.benchmarks;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.Test;

/** Harness logic of the streaming benchmarks: percentiles, epoch statistics, the finite source. No timing. */
public class StreamingHarnessTest {

  @Test
  public void nearestRankPercentiles() {
    Percentiles p = Percentiles.of(4L, 1L, 3L, 2L);
    assertEquals(2.0, p.median(), 0.0);
    assertEquals(1.0, p.percentile(25), 0.0);
    assertEquals(3.0, p.percentile(51), 0.0);
    assertEquals(4.0, p.percentile(99), 0.0);
    assertEquals(4.0, p.max(), 0.0);
    assertEquals(1.0, p.min(), 0.0);
    assertEquals(2.5, p.mean(), 0.0);

    long[] hundred = new long[100];
    for (int i = 0; i < 100; i++) {
      hundred[i] = 100 - i; // 1..100, unsorted
    }
    Percentiles q = Percentiles.of(hundred);
    assertEquals(50.0, q.median(), 0.0);
    assertEquals(99.0, q.percentile(99), 0.0);
    assertEquals(100.0, q.percentile(99.5), 0.0);
    assertEquals(1.0, q.percentile(0.1), 0.0);
    assertEquals(7.0, Percentiles.of(7.0).percentile(99), 0.0);

    assertThrows(IllegalStateException.class, () -> Percentiles.of(new long[0]).median());
    assertThrows(IllegalArgumentException.class, () -> q.percentile(0));
  }

  @Test
  public void epochStatsFromProgressLines() throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    String[] timestamps = {"2026-11-23T10:00:00.000100Z", "2026-11-23T10:00:00.003600Z", "2026-11-23T10:00:00.010100Z"};
    long[] totals = {3, 6, 2};
    for (int i = 0; i < 3; i++) {
      lines.add(BenchmarkWorker.JSON.readTree(
          "{\"epoch\":" + i + ",\"timestamp\":\"" + timestamps[i] + "\",\"inputRows\":1,"
              + "\"durationMs\":{\"planOffsets\":0,\"offsetLog\":1,\"process\":1,\"stateSnapshot\":" + i
              + ",\"commit\":1,\"total\":" + totals[i] + "},\"stateKeys\":" + (i + 1) + ",\"stateBytes\":" + (10 * i)
              + "}"));
    }
    EpochStats stats = EpochStats.of(lines);
    assertEquals(3, stats.epochs);
    assertEquals(3, stats.inputRows);
    assertEquals(3.0, stats.phases.get("total").median(), 0.0);
    assertEquals(6.0, stats.phases.get("total").percentile(99), 0.0);
    assertEquals(1.0, stats.phases.get("stateSnapshot").median(), 0.0);
    assertEquals(2, stats.periodMs.count());
    assertEquals(3.5, stats.periodMs.min(), 1e-9);
    assertEquals(6.5, stats.periodMs.max(), 1e-9);
    assertEquals(3, stats.maxStateKeys);
    assertEquals(20, stats.lastStateBytes);
    JsonNode json = stats.toJson();
    assertEquals(3.0, json.path("phasesMs").path("total").path("median").asDouble(), 0.0);
    assertEquals(5.0, json.path("periodMs").path("mean").asDouble(), 1e-9);
  }

  @Test
  public void finiteSourceReadsEveryNumberOnceAndEnds() throws Exception {
    FiniteUnboundedSource source = new FiniteUnboundedSource(10, 0, 3);
    org.apache.beam.sdk.options.PipelineOptions options = null; // unused by the source; PipelineOptionsFactory is avoided on this shared classpath
    List<FiniteUnboundedSource> splits = source.split(8, options);
    assertEquals(3, splits.size()); // capped by maxSplits
    List<Long> all = new ArrayList<>();
    for (FiniteUnboundedSource split : splits) {
      UnboundedSource.UnboundedReader<Long> reader = split.createReader(options, null);
      for (boolean more = reader.start(); more; more = reader.advance()) {
        all.add(reader.getCurrent());
        assertTrue(reader.getWatermark().isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE));
      }
      assertEquals(BoundedWindow.TIMESTAMP_MAX_VALUE, reader.getWatermark());
    }
    all.sort(null);
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), all);
  }

  @Test
  public void finiteSourceResumesFromItsMark() throws Exception {
    FiniteUnboundedSource source = new FiniteUnboundedSource(6, 0, 1);
    org.apache.beam.sdk.options.PipelineOptions options = null; // unused by the source; PipelineOptionsFactory is avoided on this shared classpath
    UnboundedSource.UnboundedReader<Long> reader = source.createReader(options, null);
    assertTrue(reader.start());
    assertTrue(reader.advance());
    assertEquals(1L, (long) reader.getCurrent());
    var coder = source.getCheckpointMarkCoder();
    FiniteUnboundedSource.Mark mark =
        CoderUtils.decodeFromByteArray(coder, CoderUtils.encodeToByteArray(coder, (FiniteUnboundedSource.Mark) reader.getCheckpointMark()));
    UnboundedSource.UnboundedReader<Long> resumed = source.createReader(options, mark);
    assertTrue(resumed.start());
    assertEquals(2L, (long) resumed.getCurrent());
  }

  @Test
  public void rateLimitedSourceHasNothingBeforeItsTime() throws Exception {
    // 1 record per 1000 s: the first is available at once, the second not for a long time
    FiniteUnboundedSource source = new FiniteUnboundedSource(2, 0.001, 1);
    UnboundedSource.UnboundedReader<Long> reader = source.createReader(null, null);
    assertTrue(reader.start());
    assertFalse(reader.advance());
    assertTrue(reader.getWatermark().isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE));
  }

  @Test
  public void sizesIntervalsAndExpectedCounts() {
    assertEquals(2_000_000L, StreamingWorker.parseSize("2m"));
    assertEquals(100_000L, StreamingWorker.parseSize("100k"));
    assertEquals(500L, StreamingWorker.parseSize("500"));
    assertEquals(0.1, StreamingBenchmarks.intervalSeconds("100ms"), 1e-12);
    assertEquals(5.0, StreamingBenchmarks.intervalSeconds("5s"), 0.0);
    long n = 2_000_003;
    long keys = 100_000;
    long total = 0;
    for (long k = 0; k < keys; k++) {
      total += StreamingPipelines.expectedCount(n, keys, k);
    }
    assertEquals(n, total);
    assertEquals(21, StreamingPipelines.expectedCount(n, keys, 2));
    assertEquals(20, StreamingPipelines.expectedCount(n, keys, 3));
    assertEquals(0, StreamingPipelines.expectedCount(5, keys, 7));
  }

  @Test
  public void streamingArgsTurnFlinkToStreaming() {
    List<String> flink = Runners.streamingPipelineArgs(Runners.FLINK, 2);
    assertTrue(flink.contains("--streaming=true"));
    assertFalse(flink.contains("--streaming=false"));
    assertTrue(Runners.streamingPipelineArgs(Runners.MICRO_BATCH, 2).contains("--streaming=true"));
  }
}
