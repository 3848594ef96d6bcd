package io.beamline.sdk.internal.metrics;

import java.io.Closeable;
import java.util.concurrent.Callable;
import org.apache.beam.runners.core.LateDataDroppingDoFnRunner;
import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * The Beam metrics of one run, as Beam defines them: <b>attempted</b> counts every task's work,
 * <b>committed</b> only the work of tasks (bundles) that succeeded. Tasks hand in what they
 * reported ({@link #commit}, {@link #attemptOnly}); engines read {@link #results()} and the late
 * rows dropped so far.
 *
 * <p>Threading: thread-safe (every method synchronises on this object).
 */
public final class RunMetrics {
  private final MetricsContainerStepMap attempted = new MetricsContainerStepMap();
  private final MetricsContainerStepMap committed = new MetricsContainerStepMap();

  /** Adds the metrics of a task whose work succeeded. */
  public synchronized void commit(MetricsContainerStepMap task) {
    attempted.updateAll(task);
    committed.updateAll(task);
  }

  /** Adds the metrics of a task that failed: attempted only. */
  public synchronized void attemptOnly(MetricsContainerStepMap task) {
    attempted.updateAll(task);
  }

  /**
   * Runs engine-side source work (splitting, reading an epoch's slice) with the metrics it reports
   * counted under the source's step, as a task's would be.
   *
   * @throws Exception what {@code body} throws
   */
  public <T> T withSourceMetrics(String stepName, Callable<T> body) throws Exception {
    MetricsContainerStepMap sourceMetrics = new MetricsContainerStepMap();
    try (Closeable scope =
        MetricsEnvironment.scopedMetricsContainer(sourceMetrics.getContainer(stepName))) {
      return body.call();
    } finally {
      commit(sourceMetrics);
    }
  }

  /** Attempted and committed metrics, for {@code PipelineResult.metrics()}. */
  public synchronized MetricResults results() {
    return MetricsContainerStepMap.asMetricResults(attempted, committed);
  }

  /**
   * Elements dropped as late so far (committed): runners-core's {@code droppedDueToLateness}
   * (LateDataDroppingDoFnRunner) and {@code StatefulParDoDropped} (StatefulDoFnRunner) counters
   * over all steps.
   */
  public synchronized long lateRowsDropped() {
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
}
