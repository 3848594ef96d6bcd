package io.beamline.monitoring;

import java.util.List;

/**
 * The executable plan as the UI shows it: fused stages and the exchanges between them. Plain data a
 * runner fills from its own plan (so that this module needs no runner internals).
 *
 * @param stages in topological order
 * @param exchanges edges between stages
 */
public record PlanDescription(List<StageNode> stages, List<Edge> exchanges) {

  public PlanDescription {
    stages = List.copyOf(stages);
    exchanges = List.copyOf(exchanges);
  }

  /** An empty plan (before the runner has one). */
  public static PlanDescription empty() {
    return new PlanDescription(List.of(), List.of());
  }

  /**
   * A fused stage.
   *
   * @param id unique within the plan; the key of per-stage figures in {@link ProgressDetails}
   * @param name its root step's name
   * @param kind {@code source}, {@code keyed} (fed by a keyed shuffle: state and timers) or {@code
   *     forward}
   * @param steps the Beam steps fused into it, in order
   */
  public record StageNode(int id, String name, String kind, List<String> steps) {
    public StageNode {
      steps = List.copyOf(steps);
    }
  }

  /**
   * An edge from one stage to another.
   *
   * @param from producing stage id
   * @param to consuming stage id
   * @param kind {@code shuffle} (keyed), {@code forward} or {@code sideInput}
   * @param name the exchange's name, e.g. {@code GroupByKey.input}
   */
  public record Edge(int from, int to, String kind, String name) {}
}
