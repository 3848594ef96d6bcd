package io.beamline.sdk.internal.execution;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.apache.beam.runners.core.LateDataDroppingDoFnRunner;
import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes an {@link ExecutablePlan} once over bounded input: stages in plan order, each as up to
 * {@code parallelism} {@link StageTask}s on a shared pool, with a barrier between stages (a stage
 * starts when every stage before it has finished, so its exchanges and side inputs are complete).
 *
 * <p>Threading: {@link #execute()} is called from one driver thread; tasks run on {@code pool}.
 * Metrics of finished tasks are merged under this object's lock.
 */
public final class PlanExecutor {
  private static final Logger LOG = LoggerFactory.getLogger(PlanExecutor.class);

  private final ExecutablePlan plan;
  private final PipelineOptions options;
  private final int parallelism;
  private final ExecutorService pool;
  private final MetricsContainerStepMap attempted;
  private final MetricsContainerStepMap committed;
  private final AtomicLong activity = new AtomicLong();

  public PlanExecutor(
      ExecutablePlan plan,
      PipelineOptions options,
      int parallelism,
      ExecutorService pool,
      MetricsContainerStepMap attempted,
      MetricsContainerStepMap committed) {
    this.plan = plan;
    this.options = options;
    this.parallelism = parallelism;
    this.pool = pool;
    this.attempted = attempted;
    this.committed = committed;
  }

  /**
   * Runs every stage to completion.
   *
   * @throws Exception the first failure of a task (user code exceptions arrive wrapped in Beam's
   *     {@code UserCodeException}); remaining stages are not started
   */
  public void execute() throws Exception {
    Map<ExchangeSpec, Exchange> exchanges = newExchanges();
    SideInputStore sideInputs = new SideInputStore(true);
    EpochContext epoch = EpochContext.boundedRun();
    for (Stage stage : plan.stages()) {
      List<?> splits = stage.source() != null ? split(stage.source()) : null;
      runStage(stage, exchanges, sideInputs, splits, partition -> epoch, false);
    }
  }

  /** Fresh, empty buffers for every exchange of the plan (one set per epoch). */
  Map<ExchangeSpec, Exchange> newExchanges() {
    Map<ExchangeSpec, Exchange> exchanges = new HashMap<>();
    for (ExchangeSpec spec : plan.exchanges()) {
      exchanges.put(spec, new Exchange(parallelism));
    }
    return exchanges;
  }

  /**
   * Runs one stage to completion: for a source stage one task per group of {@code splits}, else
   * one task per non-empty partition of its input exchange (every partition with {@code
   * allPartitions}, so keyed operators can fire timers of keys that got no input).
   *
   * @throws Exception the first task failure, after every task of the stage has ended
   */
  void runStage(
      Stage stage,
      Map<ExchangeSpec, Exchange> exchanges,
      SideInputStore sideInputs,
      List<?> splits,
      IntFunction<EpochContext> epochOfPartition,
      boolean allPartitions)
      throws Exception {
    List<StageTask> tasks = new ArrayList<>();
    if (stage.source() != null) {
      int taskCount = Math.min(parallelism, splits.size());
      for (int t = 0; t < taskCount; t++) {
        List<Object> mine = new ArrayList<>();
        for (int s = t; s < splits.size(); s += taskCount) {
          mine.add(splits.get(s));
        }
        TaskContext context =
            newContext(stage, t, exchanges, sideInputs, epochOfPartition.apply(t));
        tasks.add(new StageTask(stage, context, mine, null));
      }
    } else {
      Exchange input = exchanges.get(stage.inputExchange());
      for (int p = 0; p < parallelism; p++) {
        if (allPartitions || !input.partition(p).isEmpty()) {
          TaskContext context =
              newContext(stage, p, exchanges, sideInputs, epochOfPartition.apply(p));
          tasks.add(new StageTask(stage, context, null, input));
        }
      }
    }
    activity.addAndGet(
        stage.source() != null ? splits.size() : inputSize(exchanges.get(stage.inputExchange())));
    LOG.debug("Running {} with {} tasks", stage, tasks.size());
    if (tasks.size() == 1) {
      // Run a lone task on the driver thread: saves a hand-off for tiny stages (Impulse, Create).
      collect(runInline(tasks.get(0)));
      return;
    }
    List<Future<TaskContext>> futures = new ArrayList<>();
    for (StageTask task : tasks) {
      futures.add(pool.submit(task));
    }
    Exception failure = null;
    for (Future<TaskContext> future : futures) {
      try {
        collect(future.get());
      } catch (ExecutionException e) {
        Exception cause = unwrap(e.getCause());
        failure = failure == null ? cause : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Splits a source, counting metrics reported by {@code split} under the source's step. */
  List<?> split(SourceSpec source) throws Exception {
    return withSourceMetrics(source.stepName(), () -> source.split(options, parallelism));
  }

  /**
   * Runs driver-side source work (splitting, an epoch's reads by {@code UnboundedReader}s) with
   * the metrics it reports counted under the source's step, as a task's would be.
   */
  <T> T withSourceMetrics(String stepName, java.util.concurrent.Callable<T> body)
      throws Exception {
    MetricsContainerStepMap sourceMetrics = new MetricsContainerStepMap();
    T result;
    try (Closeable scope =
        MetricsEnvironment.scopedMetricsContainer(sourceMetrics.getContainer(stepName))) {
      result = body.call();
    } finally {
      synchronized (this) {
        attempted.updateAll(sourceMetrics);
        committed.updateAll(sourceMetrics);
      }
    }
    return result;
  }

  private TaskContext runInline(StageTask task) throws Exception {
    try {
      return task.call();
    } catch (StageTask.TaskFailedException e) {
      throw unwrap(e);
    }
  }

  private Exception unwrap(Throwable t) {
    if (t instanceof StageTask.TaskFailedException failed) {
      synchronized (this) {
        attempted.updateAll(failed.context.metrics());
      }
      return (Exception) failed.getCause();
    }
    return t instanceof Exception e ? e : new RuntimeException(t);
  }

  private synchronized void collect(TaskContext context) {
    attempted.updateAll(context.metrics());
    committed.updateAll(context.metrics());
  }

  private TaskContext newContext(
      Stage stage,
      int partition,
      Map<ExchangeSpec, Exchange> exchanges,
      SideInputStore sideInputs,
      EpochContext epoch) {
    return new TaskContext(
        stage, partition, parallelism, options, exchanges, sideInputs, epoch, activity);
  }

  private long inputSize(Exchange input) {
    long size = 0;
    for (int p = 0; p < input.partitionCount(); p++) {
      size += input.partition(p).size();
    }
    return size;
  }

  /**
   * A counter of work done (elements read by stages, timers fired); a drain epoch that changes
   * neither it nor any watermark made no progress.
   */
  long activity() {
    return activity.get();
  }

  /**
   * Elements dropped as late so far (committed metrics): runners-core's {@code
   * droppedDueToLateness} (LateDataDroppingDoFnRunner) and {@code StatefulParDoDropped}
   * (StatefulDoFnRunner) counters over all steps.
   */
  synchronized long lateRowsDropped() {
    long dropped = 0;
    MetricQueryResults results =
        MetricsContainerStepMap.asAttemptedOnlyMetricResults(committed)
            .queryMetrics(MetricsFilter.builder().build());
    for (MetricResult<Long> counter : results.getCounters()) {
      String name = counter.getName().getName();
      if (name.equals(LateDataDroppingDoFnRunner.DROPPED_DUE_TO_LATENESS)
          || name.equals(StatefulDoFnRunner.DROPPED_DUE_TO_LATENESS_COUNTER)) {
        dropped += counter.getAttempted();
      }
    }
    return dropped;
  }

  int parallelism() {
    return parallelism;
  }

  PipelineOptions options() {
    return options;
  }
}
