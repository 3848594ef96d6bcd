package io.beamline.monitoring;

import io.beamline.sdk.EpochProgress;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds {@link EpochProgress} records for tests: a fluent copy-with for the fields tests vary. */
public final class Progress {
  private long epoch;
  private Instant start = Instant.parse("2026-12-01T10:00:00Z");
  private long rows = 1000;
  private long planOffsets = 100;
  private long busy = 50;
  private String watermark = "2026-12-01T09:59:59Z";
  private long stateKeys = 10;
  private long stateCells = 20;
  private long stateBytes = 2048;
  private long late;
  private long backlogBytes = -1;
  private boolean replayed;

  public static Progress epoch(long epoch) {
    Progress p = new Progress();
    p.epoch = epoch;
    p.start = p.start.plusMillis(epoch * 200);
    return p;
  }

  public Progress rows(long rows) { this.rows = rows; return this; }
  public Progress busy(long millis) { this.busy = millis; return this; }
  public Progress planOffsets(long millis) { this.planOffsets = millis; return this; }
  public Progress watermark(String watermark) { this.watermark = watermark; return this; }
  public Progress stateCells(long cells) { this.stateCells = cells; return this; }
  public Progress stateBytes(long bytes) { this.stateBytes = bytes; return this; }
  public Progress late(long rows) { this.late = rows; return this; }
  public Progress backlogBytes(long bytes) { this.backlogBytes = bytes; return this; }
  public Progress replayed() { this.replayed = true; return this; }
  public Progress start(Instant start) { this.start = start; return this; }

  /** The record: total = planOffsets + busy, split into offsetLog 1, process busy-3, stateSnapshot 1, commit 1. */
  public EpochProgress build() {
    Map<String, Long> ms = new LinkedHashMap<>();
    ms.put("planOffsets", planOffsets);
    ms.put("offsetLog", Math.min(1, busy));
    ms.put("process", Math.max(0, busy - 3));
    ms.put("sinkCommit", 0L);
    ms.put("stateSnapshot", Math.min(1, busy));
    ms.put("commit", Math.min(1, busy));
    ms.put("total", planOffsets + busy);
    double seconds = (planOffsets + busy) / 1000.0;
    return new EpochProgress(
        "run-1", epoch, start.toString(), replayed, rows, rows / 0.2, seconds > 0 ? rows / seconds : 0,
        ms, watermark, stateKeys, stateCells, stateBytes, late, backlogBytes);
  }
}
