package io.beamline.monitoring.internal;

import io.beamline.sdk.EpochProgress;
import java.time.Instant;
import java.util.Map;

/** Figures derived from one {@link EpochProgress}. */
public final class Epochs {
  private Epochs() {}

  /**
   * Milliseconds the epoch spent working: {@code durationMs.busy} if the runner reports it, else
   * {@code total - planOffsets}. The read phase ({@code planOffsets}) waits for input until the
   * epoch's deadline, so it is left out, as Spark's trigger waits between batches outside them.
   */
  public static long busyMillis(EpochProgress progress) {
    Map<String, Long> ms = progress.durationMs();
    Long busy = ms.get("busy");
    if (busy != null) {
      return busy;
    }
    long total = ms.getOrDefault("total", 0L);
    return Math.max(0, total - ms.getOrDefault("planOffsets", 0L));
  }

  /** Wall-clock time (ms since the Unix epoch) at which the epoch ended. */
  public static long endMillis(EpochProgress progress) {
    try {
      return Instant.parse(progress.timestamp()).toEpochMilli()
          + progress.durationMs().getOrDefault("total", 0L);
    } catch (RuntimeException e) {
      return System.currentTimeMillis();
    }
  }

  /**
   * The watermark in ms since the Unix epoch; {@code Long.MIN_VALUE} for {@code -inf} (no input
   * yet) or an unreadable value, {@code Long.MAX_VALUE} for {@code +inf}.
   */
  public static long watermarkMillis(EpochProgress progress) {
    String w = progress.watermark();
    if (w == null || "-inf".equals(w)) {
      return Long.MIN_VALUE;
    }
    if ("+inf".equals(w)) {
      return Long.MAX_VALUE;
    }
    try {
      return Instant.parse(w).toEpochMilli();
    } catch (RuntimeException e) {
      return Long.MIN_VALUE;
    }
  }

  /**
   * Seconds between the epoch's end and its watermark, 0 when the watermark is {@code +inf}, NaN
   * when it is {@code -inf}.
   */
  public static double watermarkLagSeconds(EpochProgress progress) {
    long w = watermarkMillis(progress);
    if (w == Long.MIN_VALUE) {
      return Double.NaN;
    }
    if (w == Long.MAX_VALUE) {
      return 0;
    }
    return Math.max(0, endMillis(progress) - w) / 1000.0;
  }

  /** The rows the state holds: its cells (entries), or its keys where cells are not counted. */
  public static long stateRows(EpochProgress progress) {
    return progress.stateCells() > 0 ? progress.stateCells() : progress.stateKeys();
  }
}
