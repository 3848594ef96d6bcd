package io.beamline.runners.microbatch.internal;

import io.beamline.sdk.internal.exchange.ExchangeCodec;
import io.beamline.sdk.internal.operators.ModelEnforcement;
import io.beamline.sdk.internal.operators.Operator;
import io.beamline.sdk.internal.operators.SourceProgress;
import io.beamline.sdk.internal.operators.Sources;
import io.beamline.sdk.internal.operators.StageTask;
import io.beamline.sdk.internal.operators.TaskContext;
import io.beamline.sdk.internal.plan.ExchangeSpec;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.SourceSpec;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.sideinput.SideInputStore;

import io.beamline.sdk.internal.metrics.RunMetrics;
import io.beamline.sdk.io.EpochInfo;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
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
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one epoch of one stage on a pool: each task feeds its input (source splits, or one exchange
 * partition) to its {@link StageTask}, moves its watermark and clock, and ends its bundle. The
 * {@link StageScheduler} runs the stages of an epoch one after another with this, so a stage
 * starts when every stage before it has finished and its exchanges and side inputs are complete;
 * {@link BoundedRun} runs a bounded plan as one such epoch.
 *
 * <p>Threading: the methods are called from one driver thread; tasks run on {@code pool} (a lone
 * task on the driver thread). Metrics go to the thread-safe {@link RunMetrics}.
 */
public final class StageRunner {
  private static final Logger LOG = LoggerFactory.getLogger(StageRunner.class);

  /**
   * The clocks of one stage in one epoch.
   *
   * @param watermark the stage's input watermark at the end of the epoch: operators fire event-time
   *     timers up to it after the epoch's elements (which are judged against the previous one)
   * @param processingTime the processing time while the epoch's elements are processed
   * @param endProcessingTime the processing time timers fire up to at the end of the epoch: the
   *     same clock when streaming, +∞ at the end of a bounded run
   */
  public record EpochTime(Instant watermark, Instant processingTime, Instant endProcessingTime) {}

  private final ExecutablePlan plan;
  private final PipelineOptions options;
  private final int parallelism;
  private final ExecutorService pool;
  private final RunMetrics metrics;
  private final boolean enforceModel;
  private final AtomicLong activity = new AtomicLong();
  private SourceProgress sourceProgress = SourceProgress.NONE;

  /**
   * @param enforceModel check elements against Beam's model ({@code ModelEnforcement})
   */
  public StageRunner(
      ExecutablePlan plan,
      PipelineOptions options,
      int parallelism,
      ExecutorService pool,
      RunMetrics metrics,
      boolean enforceModel) {
    this.plan = plan;
    this.options = options;
    this.parallelism = parallelism;
    this.pool = pool;
    this.metrics = metrics;
    this.enforceModel = enforceModel;
  }

  public ExecutablePlan plan() {
    return plan;
  }

  /** Reports reading bounded sources (their size when split, rows and bytes read) to {@code to}. */
  public StageRunner withSourceProgress(SourceProgress to) {
    this.sourceProgress = to;
    return this;
  }

  /** Fresh, empty in-memory exchanges for every edge of the plan. */
  public Map<ExchangeSpec, Exchange> newExchanges() {
    Map<ExchangeSpec, Exchange> exchanges = new HashMap<>();
    for (ExchangeSpec spec : plan.exchanges()) {
      exchanges.put(spec, new Exchange(new ExchangeCodec(spec), parallelism));
    }
    return exchanges;
  }

  /** What every task of a run shares, writing into {@code exchanges}. */
  public TaskContext.Shared shared(
      boolean bounded, SideInputStore sideInputs, Map<ExchangeSpec, Exchange> exchanges) {
    return new TaskContext.Shared(
        options,
        parallelism,
        bounded,
        (spec, producer, partition) -> exchanges.get(spec).writer(producer, partition),
        sideInputs,
        activity,
        enforceModel,
        sourceProgress);
  }

  /** Creates (on first use) the task of one partition. */
  @FunctionalInterface
  public interface TaskFactory {
    StageTask taskOf(int partition) throws Exception;
  }

  /**
   * Runs one epoch of one stage: for a source stage one task per group of {@code splits}, else one
   * task per non-empty partition of its input exchange (every partition with {@code
   * allPartitions}, so keyed operators fire timers of keys that got no input).
   *
   * @param infoOf the epoch as partition p's sinks see it, or null
   * @return the records the stage's tasks were given: exchange records, or the elements of planned
   *     source splits (0 for splits that are sources to read)
   * @throws Exception the first task failure, after every task of the stage has ended
   */
  public long runStage(
      Stage stage,
      Map<ExchangeSpec, Exchange> exchanges,
      @Nullable List<?> splits,
      TaskFactory tasks,
      boolean allPartitions,
      EpochTime time,
      IntFunction<@Nullable EpochInfo> infoOf)
      throws Exception {
    List<Callable<MetricsContainerStepMap>> runs = new ArrayList<>();
    long records = 0;
    if (stage.source() != null) {
      int taskCount = Math.min(parallelism, splits.size());
      for (int t = 0; t < taskCount; t++) {
        List<Object> mine = new ArrayList<>();
        for (int s = t; s < splits.size(); s += taskCount) {
          mine.add(splits.get(s));
        }
        runs.add(taskRun(tasks.taskOf(t), mine, null, time, infoOf.apply(t)));
      }
      activity.addAndGet(splits.size());
      for (Object split : splits) {
        records += split instanceof List<?> elements ? elements.size() : 0;
      }
    } else {
      Exchange input = exchanges.get(stage.inputExchange());
      long size = 0;
      for (int p = 0; p < parallelism; p++) {
        size += input.partition(p).size();
        if (allPartitions || !input.partition(p).isEmpty()) {
          runs.add(taskRun(tasks.taskOf(p), null, input, time, infoOf.apply(p)));
        }
      }
      activity.addAndGet(size);
      records = size;
    }
    LOG.debug("Running {} with {} tasks", stage, runs.size());
    if (runs.size() == 1) {
      // Run a lone task on the driver thread: saves a hand-off for tiny stages (Impulse, Create).
      collect(runInline(runs.get(0)));
      return records;
    }
    List<Future<MetricsContainerStepMap>> futures = new ArrayList<>();
    for (Callable<MetricsContainerStepMap> run : runs) {
      futures.add(pool.submit(run));
    }
    Exception failure = null;
    for (Future<MetricsContainerStepMap> future : futures) {
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
    return records;
  }

  /**
   * One task's share of an epoch: open its operators (first time), feed the input, advance the
   * watermark and processing time, end the bundle, hand the output to the exchanges, run bundle
   * finalizations. Returns the metrics the task reported.
   */
  private Callable<MetricsContainerStepMap> taskRun(
      StageTask task,
      @Nullable List<Object> splits,
      @Nullable Exchange input,
      EpochTime time,
      @Nullable EpochInfo info) {
    return () -> {
      TaskContext context = task.context();
      Callable<Void> body =
          () -> {
            task.open();
            context.setProcessingTime(time.processingTime());
            if (splits != null) {
              Operator.Receiver output = task.sourceOutput();
              for (Object split : splits) {
                Sources.read(task.stage().source(), split, context, output);
              }
            } else {
              ExchangeCodec codec = input.codec();
              for (Object record : input.partition(context.partition())) {
                task.processElement(codec.decode(record));
              }
            }
            task.advanceInputWatermark(time.watermark());
            task.advanceProcessingTime(time.endProcessingTime());
            task.finishBundle();
            task.flushExchanges();
            return null;
          };
      try {
        if (info == null) {
          body.call();
        } else {
          EpochInfo.runWith(info, body);
        }
        task.finalizeBundles();
      } catch (Exception e) {
        throw new TaskFailedException(context.takeMetrics(), e);
      }
      return context.takeMetrics();
    };
  }

  /**
   * Closes tasks (nulls are skipped), also when some fail to close.
   *
   * @throws Exception the first failure
   */
  public static void closeAll(Iterable<StageTask> tasks) throws Exception {
    Exception failure = null;
    for (StageTask task : tasks) {
      if (task == null) {
        continue;
      }
      try {
        task.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Splits a source, counting metrics reported by {@code split} under the source's step. */
  public List<?> split(SourceSpec source) throws Exception {
    return withSourceMetrics(
        source.stepName(), () -> Sources.split(source, options, parallelism, sourceProgress));
  }

  /** Runs driver-side source work with its metrics counted under the source's step. */
  public <T> T withSourceMetrics(String stepName, Callable<T> body) throws Exception {
    return metrics.withSourceMetrics(stepName, body);
  }

  public RunMetrics metrics() {
    return metrics;
  }

  private MetricsContainerStepMap runInline(Callable<MetricsContainerStepMap> run)
      throws Exception {
    try {
      return run.call();
    } catch (TaskFailedException e) {
      throw unwrap(e);
    }
  }

  private Exception unwrap(Throwable t) {
    if (t instanceof TaskFailedException failed) {
      metrics.attemptOnly(failed.metrics);
      return (Exception) failed.getCause();
    }
    return t instanceof Exception e ? e : new RuntimeException(t);
  }

  private void collect(MetricsContainerStepMap taskMetrics) {
    metrics.commit(taskMetrics);
  }

  /**
   * A counter of work done (elements read by stages, timers fired); a drain epoch that changes
   * neither it nor any watermark made no progress.
   */
  public long activity() {
    return activity.get();
  }

  public int parallelism() {
    return parallelism;
  }

  public PipelineOptions options() {
    return options;
  }

  /** A task failed; carries the task's metrics so attempted metrics still count its work. */
  private static final class TaskFailedException extends Exception {
    final transient MetricsContainerStepMap metrics;

    TaskFailedException(MetricsContainerStepMap metrics, Exception cause) {
      super(cause);
      this.metrics = metrics;
    }
  }
}
