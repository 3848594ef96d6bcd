package io.beamline.runners.microbatch;

import io.beamline.monitoring.JobDescription;
import io.beamline.monitoring.JobMonitor;
import io.beamline.monitoring.PlanDescription;
import io.beamline.sdk.Parallelism;
import io.beamline.runners.microbatch.internal.EpochConfig;
import io.beamline.sdk.internal.checkpoint.CheckpointSettings;
import io.beamline.sdk.internal.plan.ExchangeSpec;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.OperatorSpec;
import io.beamline.sdk.internal.plan.Stage;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Starts a run's {@link JobMonitor} and describes the plan for it. */
final class Monitoring {
  private Monitoring() {}

  /**
   * Starts the monitor of a run of {@code plan}.
   *
   * @throws java.io.UncheckedIOException if the web UI cannot bind a port
   */
  static JobMonitor start(
      MicroBatchPipelineOptions options, ExecutablePlan plan, @Nullable EpochConfig epochs) {
    JobMonitor monitor =
        JobMonitor.start(
            options,
            new JobDescription(
                CheckpointSettings.defaultDirectoryName(options),
                MicroBatchRunner.class.getSimpleName(),
                plan.bounded(),
                Parallelism.of(options),
                epochs == null ? 0 : epochs.batchInterval().getMillis(),
                epochs == null ? Long.MAX_VALUE : epochs.maxRecordsPerBatch()));
    monitor.setPlan(describe(plan));
    return monitor;
  }

  /** Stages with their steps; an edge from every upstream stage (shuffle, forward or side input). */
  static PlanDescription describe(ExecutablePlan plan) {
    List<PlanDescription.StageNode> stages = new ArrayList<>();
    List<PlanDescription.Edge> edges = new ArrayList<>();
    for (Stage stage : plan.stages()) {
      ExchangeSpec input = stage.inputExchange();
      String kind = stage.source() != null ? "source" : input.isKeyed() ? "keyed" : "forward";
      List<String> steps = new ArrayList<>();
      if (stage.source() != null) {
        steps.add(stage.source().stepName());
      }
      for (OperatorSpec op : stage.operators()) {
        steps.add(op.stepName());
      }
      stages.add(new PlanDescription.StageNode(stage.id(), stage.name(), kind, steps));
      for (Stage upstream : stage.upstream()) {
        // the plan keeps upstream stages, not which output goes where: a producer of a view this
        // stage reads is drawn as a side input, any other upstream as the input exchange
        boolean sideInput =
            upstream.producedViews().stream().anyMatch(stage.sideInputs()::contains);
        edges.add(
            sideInput || input == null
                ? new PlanDescription.Edge(upstream.id(), stage.id(), "sideInput", "side input")
                : new PlanDescription.Edge(
                    upstream.id(), stage.id(), input.isKeyed() ? "shuffle" : "forward", input.name()));
      }
    }
    return new PlanDescription(stages, edges);
  }
}
