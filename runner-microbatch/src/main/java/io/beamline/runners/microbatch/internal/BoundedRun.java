package io.beamline.runners.microbatch.internal;

import io.beamline.sdk.internal.operators.StageTask;
import io.beamline.sdk.internal.operators.TaskContext;
import io.beamline.sdk.internal.plan.ExchangeSpec;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.sideinput.SideInputStore;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * A bounded plan as a single epoch: every stage once, in plan order, over all of its input; the
 * watermark jumps to +∞ at the end of each stage's input (then processing time too, as Beam's Flink
 * batch runner does), and each stage's tasks are closed as soon as the stage is done.
 */
public final class BoundedRun {
  private BoundedRun() {}

  /**
   * Runs the plan of {@code runner} to completion.
   *
   * @throws Exception the first failure of a task (user code exceptions arrive wrapped in Beam's
   *     {@code UserCodeException}); remaining stages are not started
   */
  public static void execute(StageRunner runner) throws Exception {
    Map<ExchangeSpec, Exchange> exchanges = runner.newExchanges();
    TaskContext.Shared shared = runner.shared(true, new SideInputStore(true), exchanges);
    StageRunner.EpochTime time =
        new StageRunner.EpochTime(
            BoundedWindow.TIMESTAMP_MAX_VALUE, Instant.now(), BoundedWindow.TIMESTAMP_MAX_VALUE);
    for (Stage stage : runner.plan().stages()) {
      List<?> splits = stage.source() != null ? runner.split(stage.source()) : null;
      StageTask[] tasks = new StageTask[runner.parallelism()];
      try {
        runner.runStage(
            stage,
            exchanges,
            splits,
            p -> tasks[p] = new StageTask(stage, new TaskContext(shared, stage, p, null, null)),
            false,
            time,
            p -> null);
      } finally {
        StageRunner.closeAll(Arrays.asList(tasks));
      }
      if (stage.inputExchange() != null) {
        exchanges.get(stage.inputExchange()).clear();
      }
    }
  }
}
