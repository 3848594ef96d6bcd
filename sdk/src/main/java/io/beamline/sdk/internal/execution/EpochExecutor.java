package io.beamline.sdk.internal.execution;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes an {@link ExecutablePlan} as a sequence of epochs (micro-batches): each epoch plans a
 * slice of every source, runs all stages over it in plan order, and ends with every keyed operator
 * firing its timers up to its stage's new input watermark. Keyed state lives across epochs in one
 * {@link KeyedStateStore} per stage and partition; side-input views accumulate.
 *
 * <p>Watermarks: a source stage's input watermark is its source's; any other stage's is the
 * minimum of its upstream stages' output watermarks; a stage's output watermark is its input
 * watermark, held back for keyed stages by the earliest watermark hold of any key (state holds of
 * GroupAlsoByWindow, output timestamps of pending timers), computed after the stage ran. Elements of an epoch are judged late against
 * the previous epoch's watermark, because keyed operators process them before advancing.
 *
 * <p>Once every source is exhausted (its watermark at +∞), epochs go on until every stage's output
 * watermark is +∞: processing time keeps moving (so resume timers of splittable DoFns fire), an
 * epoch without progress is followed by one at the end of processing time (firing every remaining
 * processing-time timer), and if that one makes no progress either the run fails as stuck, with
 * every stage's watermark in the message, instead of spinning.
 *
 * <p>Threading: {@link #execute()} runs on the driver thread; stages run on the executor's pool.
 */
public final class EpochExecutor {
  private static final Logger LOG = LoggerFactory.getLogger(EpochExecutor.class);

  private final ExecutablePlan plan;
  private final PlanExecutor stages;

  public EpochExecutor(ExecutablePlan plan, PlanExecutor stages) {
    this.plan = plan;
    this.stages = stages;
  }

  /**
   * Runs epochs until every source is exhausted and every watermark is +∞.
   *
   * @throws InterruptedException if the driver thread is interrupted (cancellation)
   * @throws IllegalStateException if, after the sources finished, the run cannot move any more
   * @throws Exception the first failure of a task
   */
  public void execute() throws Exception {
    new Run().execute();
  }

  /** The state of one run, which lives across its epochs. Driver thread only. */
  private final class Run {
    private final Map<Stage, EpochSource> sources = new LinkedHashMap<>();
    private final ProcessingClock clock;
    private final Map<Stage, KeyedStateStore[]> keyedState = new HashMap<>();
    private final Map<Stage, List<List<WindowedValue<?>>>> pushedBack = new HashMap<>();
    private final Map<Stage, Instant> outputWatermarks = new HashMap<>();
    private final SideInputStore sideInputs = new SideInputStore(false);
    private Map<Stage, Instant> previousWatermarks = Map.of();
    private Instant lastProcessingTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
    private boolean jumpToEndOfTime;

    Run() {
      boolean syntheticTime = false;
      for (Stage stage : plan.stages()) {
        if (stage.source() != null) {
          EpochSource source = stage.source().forEpochs(stages);
          sources.put(stage, source);
          syntheticTime |= source.ownsProcessingTime();
        }
      }
      clock = syntheticTime ? ProcessingClock.synthetic() : ProcessingClock.wallClock();
    }

    void execute() throws Exception {
      for (long epoch = 0; ; epoch++) {
        if (Thread.interrupted()) {
          throw new InterruptedException("cancelled before epoch " + epoch);
        }
        Map<Stage, List<?>> splits = new HashMap<>();
        boolean finished = true;
        for (Map.Entry<Stage, EpochSource> e : sources.entrySet()) {
          EpochSource source = e.getValue();
          splits.put(e.getKey(), source.nextEpoch(stages.options(), stages.parallelism(), clock));
          finished &= source.isExhausted();
        }
        long activityBefore = stages.activity();
        runStages(splits, nextProcessingTime(), epoch, finished);
        if (finished && drained(epoch, activityBefore)) {
          return;
        }
      }
    }

    /**
     * Processing time only moves forward, by at least 1 ms per epoch, so a timer set for "now" (a
     * splittable DoFn's resume timer) fires in the next epoch.
     */
    private Instant nextProcessingTime() {
      Instant now = clock.now();
      lastProcessingTime =
          now.isAfter(lastProcessingTime) ? now : lastProcessingTime.plus(Duration.millis(1));
      return lastProcessingTime;
    }

    private void runStages(
        Map<Stage, List<?>> splits, Instant processingTime, long epoch, boolean finished)
        throws Exception {
      Instant endProcessingTime =
          jumpToEndOfTime ? BoundedWindow.TIMESTAMP_MAX_VALUE : processingTime;
      LOG.debug("Epoch {}: processing time {}, sources finished {}", epoch, processingTime, finished);
      Map<ExchangeSpec, Exchange> exchanges = stages.newExchanges();
      for (Stage stage : plan.stages()) {
        Instant watermark = inputWatermark(stage);
        outputWatermarks.put(stage, watermark);
        if (stage.source() != null) {
          List<?> stageSplits = splits.get(stage);
          if (!stageSplits.isEmpty()) {
            EpochContext context =
                new EpochContext(false, watermark, processingTime, endProcessingTime, null, null);
            stages.runStage(stage, exchanges, sideInputs, stageSplits, p -> context, false);
          }
        } else {
          runExchangeStage(stage, exchanges, watermark, processingTime, endProcessingTime);
        }
        for (PCollectionView<?> view : stage.producedViews()) {
          sideInputs.setWatermark(view, outputWatermarks.get(stage));
        }
      }
    }

    /**
     * Runs a stage fed by an exchange: every partition when it keeps keyed state or has pushed-back
     * elements to retry, else the partitions with input; then holds its output watermark.
     */
    private void runExchangeStage(
        Stage stage,
        Map<ExchangeSpec, Exchange> exchanges,
        Instant watermark,
        Instant processingTime,
        Instant endProcessingTime)
        throws Exception {
      boolean keyed = stage.inputExchange().isKeyed();
      KeyedStateStore[] stores = keyed ? keyedState.computeIfAbsent(stage, s -> newStores()) : null;
      List<List<WindowedValue<?>>> pushback =
          stage.sideInputs().isEmpty()
              ? null
              : pushedBack.computeIfAbsent(stage, s -> newPushbackBuffers());
      boolean retry = pushback != null && pushback.stream().anyMatch(b -> !b.isEmpty());
      stages.runStage(
          stage,
          exchanges,
          sideInputs,
          null,
          p ->
              new EpochContext(
                  false,
                  watermark,
                  processingTime,
                  endProcessingTime,
                  stores == null ? null : stores[p],
                  pushback == null ? null : pushback.get(p)),
          keyed || retry);
      Instant output = stores == null ? watermark : earliest(watermark, stores);
      outputWatermarks.put(stage, pushback == null ? output : earliestPushedBack(output, pushback));
    }

    /**
     * After the sources finished: true once every watermark is +∞. Otherwise a stage still holds
     * its watermark (a pending timer, a checkpointed restriction) and draining goes on; an epoch
     * without progress is followed by one at the end of processing time, and if that one moves
     * nothing either the run is stuck.
     */
    private boolean drained(long epoch, long activityBefore) {
      if (allAtEndOfTime(outputWatermarks)) {
        return true;
      }
      boolean progress =
          stages.activity() != activityBefore || !outputWatermarks.equals(previousWatermarks);
      if (!progress && jumpToEndOfTime) {
        throw new IllegalStateException(
            "Pipeline is stuck after its sources finished: epoch "
                + epoch
                + " moved nothing even at the end of processing time; stage output watermarks: "
                + outputWatermarks);
      }
      jumpToEndOfTime = !progress;
      previousWatermarks = new HashMap<>(outputWatermarks);
      return false;
    }

    private Instant inputWatermark(Stage stage) {
      if (stage.source() != null) {
        return sources.get(stage).watermark();
      }
      Instant watermark = BoundedWindow.TIMESTAMP_MAX_VALUE;
      for (Stage upstream : stage.upstream()) {
        Instant upstreamWatermark = outputWatermarks.get(upstream);
        if (upstreamWatermark.isBefore(watermark)) {
          watermark = upstreamWatermark;
        }
      }
      return watermark;
    }
  }

  private static boolean allAtEndOfTime(Map<Stage, Instant> watermarks) {
    for (Instant watermark : watermarks.values()) {
      if (watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        return false;
      }
    }
    return true;
  }

  private List<List<WindowedValue<?>>> newPushbackBuffers() {
    List<List<WindowedValue<?>>> buffers = new ArrayList<>();
    for (int p = 0; p < stages.parallelism(); p++) {
      buffers.add(new ArrayList<>());
    }
    return buffers;
  }

  /** Pushed-back elements hold the stage's output watermark at their earliest timestamp. */
  private static Instant earliestPushedBack(
      Instant watermark, List<List<WindowedValue<?>>> buffers) {
    Instant earliest = watermark;
    for (List<WindowedValue<?>> buffer : buffers) {
      for (WindowedValue<?> element : buffer) {
        if (element.getTimestamp().isBefore(earliest)) {
          earliest = element.getTimestamp();
        }
      }
    }
    return earliest;
  }

  private KeyedStateStore[] newStores() {
    KeyedStateStore[] stores = new KeyedStateStore[stages.parallelism()];
    for (int p = 0; p < stores.length; p++) {
      stores[p] = new KeyedStateStore();
    }
    return stores;
  }

  /** The input watermark, held back by the earliest hold of any key of any partition. */
  private static Instant earliest(Instant watermark, KeyedStateStore[] stores) {
    Instant earliest = watermark;
    for (KeyedStateStore store : stores) {
      Instant hold = store.earliestHold();
      if (hold.isBefore(earliest)) {
        earliest = hold;
      }
    }
    return earliest;
  }
}
