package io.beamline.monitoring;

import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Figures a runner may add to a progress record beyond {@link io.beamline.sdk.EpochProgress}; each
 * shows in the JSON API, on the page and in {@code /metrics} when present, and is left out when
 * not. RealtimeRunner's per-second records carry latency and queue occupancy; MicroBatchRunner has
 * none of these today.
 *
 * @param latencyP50Millis median end-to-end latency of the records of the period, ms; null if
 *     unknown
 * @param latencyP99Millis 99th percentile of it, ms; null if unknown
 * @param stages per stage id ({@link PlanDescription.StageNode#id()}): rows per second and queue
 *     occupancy
 * @param backlogRows rows the sources report as not yet read, or -1 if unknown; used by the {@code
 *     backlog} alert (backlog in epochs = backlog rows / rows per epoch)
 */
public record ProgressDetails(
    @Nullable Double latencyP50Millis,
    @Nullable Double latencyP99Millis,
    Map<Integer, StageFigures> stages,
    long backlogRows) {

  /** No details. */
  public static final ProgressDetails NONE = new ProgressDetails(null, null, Map.of(), -1);

  public ProgressDetails {
    stages = Map.copyOf(stages);
  }

  /**
   * One stage's figures over the period of a record.
   *
   * @param rowsPerSecond rows the stage processed per second
   * @param queueOccupancy fill of the stage's input queues, 0 to 1, or -1 if the stage has none
   */
  public record StageFigures(double rowsPerSecond, double queueOccupancy) {}
}
