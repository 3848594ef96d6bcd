package io.beamline.sdk.internal.execution;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
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
 * <p>The run ends after the epoch in which every source is exhausted and at +∞: in that epoch
 * every window closes and all timers, processing-time ones included, fire.
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
   * @throws Exception the first failure of a task
   */
  public void execute() throws Exception {
    Map<Stage, EpochSource> sources = new LinkedHashMap<>();
    boolean syntheticTime = false;
    for (Stage stage : plan.stages()) {
      if (stage.source() != null) {
        EpochSource source = stage.source().forEpochs(stages);
        sources.put(stage, source);
        syntheticTime |= source.ownsProcessingTime();
      }
    }
    ProcessingClock clock = syntheticTime ? ProcessingClock.synthetic() : ProcessingClock.wallClock();
    Map<Stage, KeyedStateStore[]> keyedState = new HashMap<>();
    Map<Stage, Instant> outputWatermarks = new HashMap<>();
    SideInputStore sideInputs = new SideInputStore();
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
      Instant processingTime = clock.now();
      Instant endProcessingTime = finished ? BoundedWindow.TIMESTAMP_MAX_VALUE : processingTime;
      LOG.debug("Epoch {}: processing time {}, final {}", epoch, processingTime, finished);
      Map<ExchangeSpec, Exchange> exchanges = stages.newExchanges();
      for (Stage stage : plan.stages()) {
        Instant watermark = inputWatermark(stage, sources, outputWatermarks);
        outputWatermarks.put(stage, watermark);
        if (stage.source() != null) {
          List<?> stageSplits = splits.get(stage);
          if (!stageSplits.isEmpty()) {
            EpochContext context =
                new EpochContext(false, watermark, processingTime, endProcessingTime, null);
            stages.runStage(stage, exchanges, sideInputs, stageSplits, p -> context, false);
          }
          continue;
        }
        boolean keyed = stage.inputExchange().isKeyed();
        KeyedStateStore[] stores =
            keyed ? keyedState.computeIfAbsent(stage, s -> newStores()) : null;
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
                    stores == null ? null : stores[p]),
            keyed);
        if (stores != null) {
          outputWatermarks.put(stage, earliest(watermark, stores));
        }
      }
      if (finished) {
        return;
      }
    }
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

  private static Instant inputWatermark(
      Stage stage, Map<Stage, EpochSource> sources, Map<Stage, Instant> outputWatermarks) {
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
