package io.beamline.runners.microbatch.internal;

import io.beamline.monitoring.EpochTuner;
import io.beamline.monitoring.EpochTuning;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.internal.checkpoint.SourcePositions;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.time.ProcessingClock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans each epoch: asks every source for its slice under the hybrid trigger (what arrives within
 * {@code batchInterval}, at most {@code maxRecordsPerBatch} records per source), or for exactly the
 * slice logged in {@code offsets/N} when an epoch is replayed; describes a planned epoch as offsets
 * for the offset log; and owns the run's processing-time clock (wall clock, or a TestStream's
 * synthetic one).
 *
 * <p>Threading: driver thread only.
 */
final class EpochPlanner implements AutoCloseable, SourcePositions {
  private static final Logger LOG = LoggerFactory.getLogger(EpochPlanner.class);

  /**
   * One planned epoch.
   *
   * @param splits per source stage, the splits its tasks read
   * @param finished every source is exhausted
   * @param caughtUp every source read less than its budget ({@code once}/{@code availableNow})
   * @param inputRows records read from unbounded sources
   * @param processingTime processing time while the epoch's elements are processed
   * @param endProcessingTime processing time timers fire up to at the epoch's end
   */
  record Planned(
      Map<Stage, List<?>> splits,
      boolean finished,
      boolean caughtUp,
      long inputRows,
      Instant processingTime,
      Instant endProcessingTime) {}

  private final Map<Stage, EpochSource> sources = new LinkedHashMap<>();
  private final StageRunner runner;
  private final EpochConfig config;
  /** The interval and cap of the next epoch (fixed, or the monitor's auto-tuner). */
  private final EpochTuner tuner;
  private final ProcessingClock clock;
  private long deadlineNanos = System.nanoTime();
  private Instant lastProcessingTime = BoundedWindow.TIMESTAMP_MIN_VALUE;

  EpochPlanner(ExecutablePlan plan, StageRunner runner, EpochConfig config, EpochTuner tuner) {
    this.runner = runner;
    this.config = config;
    this.tuner = tuner;
    boolean syntheticTime = false;
    for (Stage stage : plan.stages()) {
      if (stage.source() != null) {
        EpochSource source = EpochSource.of(stage.source(), runner);
        sources.put(stage, source);
        syntheticTime |= source.ownsProcessingTime();
      }
    }
    clock = syntheticTime ? ProcessingClock.synthetic() : ProcessingClock.wallClock();
  }

  /**
   * Plans the next epoch: the logged one again if {@code replay} is not null, else a fresh one.
   *
   * @param jumpToEndOfTime fire every processing-time timer at the end of the epoch
   */
  Planned plan(@Nullable ObjectNode replay, boolean jumpToEndOfTime) throws Exception {
    Map<Stage, List<?>> splits = new HashMap<>();
    boolean finished = true;
    boolean caughtUp = true;
    long inputRows = 0;
    EpochRequest request = request();
    for (Map.Entry<Stage, EpochSource> e : sources.entrySet()) {
      EpochSource source = e.getValue();
      splits.put(
          e.getKey(),
          runner.withSourceMetrics(
              e.getKey().source().stepName(),
              () ->
                  replay != null
                      ? source.replay(sourceOffsets(replay, e.getKey()), request)
                      : source.nextEpoch(request)));
      finished &= source.isExhausted();
      caughtUp &= source.caughtUp();
      inputRows += source.lastEpochRecords();
    }
    if (replay != null) {
      lastProcessingTime = new Instant(replay.path("processingTime").asLong());
      return new Planned(
          splits,
          finished,
          caughtUp,
          inputRows,
          lastProcessingTime,
          new Instant(replay.path("endProcessingTime").asLong()));
    }
    Instant processingTime = nextProcessingTime();
    return new Planned(
        splits,
        finished,
        caughtUp,
        inputRows,
        processingTime,
        jumpToEndOfTime ? BoundedWindow.TIMESTAMP_MAX_VALUE : processingTime);
  }

  /** What the hybrid trigger asks of the sources now; the deadline moves by one interval. */
  private EpochRequest request() {
    EpochTuning tuning = tuner.current();
    long interval = TimeUnit.MILLISECONDS.toNanos(tuning.batchIntervalMillis());
    long now = System.nanoTime();
    deadlineNanos = Math.max(deadlineNanos + interval, now);
    long maxRecords =
        config.trigger() == EpochConfig.Trigger.ONCE ? Long.MAX_VALUE : tuning.maxRecordsPerEpoch();
    return new EpochRequest(
        runner.options(),
        runner.parallelism(),
        clock,
        deadlineNanos,
        maxRecords,
        config.trigger() == EpochConfig.Trigger.PROCESSING_TIME);
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

  /** The run's processing-time clock. */
  ProcessingClock clock() {
    return clock;
  }

  /** The processing time of the last planned (or restored) epoch. */
  Instant processingTime() {
    return lastProcessingTime;
  }

  /** Restores the processing time of a committed epoch, so it never goes back on restart. */
  @Override
  public void restoreProcessingTime(Instant processingTime) {
    lastProcessingTime = processingTime;
  }

  /**
   * The offsets of the epoch just planned, for {@code offsets/N}: per source what {@link
   * EpochSource#offsets()} says, plus the parallelism and processing times.
   *
   * @throws IllegalStateException if a source cannot be checkpointed
   */
  ObjectNode offsetsOf(long epoch, Planned planned) throws Exception {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("epoch", epoch);
    node.put("parallelism", runner.parallelism());
    node.put("processingTime", planned.processingTime().getMillis());
    node.put("endProcessingTime", planned.endProcessingTime().getMillis());
    ObjectNode perSource = node.putObject("sources");
    for (Map.Entry<Stage, EpochSource> e : sources.entrySet()) {
      ObjectNode offsets = e.getValue().offsets();
      if (offsets == null) {
        throw new IllegalStateException(
            e.getKey().source().stepName()
                + " cannot be checkpointed; run without --checkpointDir");
      }
      perSource.set(Integer.toString(e.getKey().id()), offsets);
    }
    return node;
  }

  /** Positions every source right after the epoch logged in {@code offsets} (restart). */
  @Override
  public void resumeAfter(ObjectNode offsets) throws Exception {
    EpochRequest request = request();
    for (Map.Entry<Stage, EpochSource> e : sources.entrySet()) {
      e.getValue().resumeAfter(sourceOffsets(offsets, e.getKey()), request);
    }
  }

  private static ObjectNode sourceOffsets(ObjectNode epochOffsets, Stage stage) {
    JsonNode node = epochOffsets.path("sources").path(Integer.toString(stage.id()));
    if (!(node instanceof ObjectNode offsets)) {
      throw new IllegalStateException(
          "The offset log has no entry for source " + stage.source().stepName());
    }
    return offsets;
  }

  /** The last planned epoch is committed: sources may finalize its marks. */
  void committed() throws Exception {
    for (EpochSource source : sources.values()) {
      source.committed();
    }
  }

  /** The event-time watermark of a source stage's source. */
  Instant watermark(Stage stage) {
    return sources.get(stage).watermark();
  }

  /** Records the sources report as not read yet, -1 if one does not know. */
  long backlogRecords() {
    long backlog = 0;
    for (EpochSource source : sources.values()) {
      long b = source.backlogRecords();
      backlog = backlog < 0 || b < 0 ? -1 : backlog + b;
    }
    return backlog;
  }

  /** Bytes the sources report as not read yet, -1 if one does not know. */
  long backlogBytes() {
    long backlog = 0;
    for (EpochSource source : sources.values()) {
      long b = source.backlogBytes();
      backlog = backlog < 0 || b < 0 ? -1 : backlog + b;
    }
    return backlog;
  }

  /**
   * Closes every source, also when some fail. A cancelled run's driver thread is interrupted: the
   * flag is cleared while closing (readers such as Kafka's fail to close on an interrupted thread)
   * and set again after.
   */
  @Override
  public void close() {
    boolean interrupted = Thread.interrupted();
    for (EpochSource source : sources.values()) {
      try {
        source.close();
      } catch (Exception e) {
        if (causedByInterrupt(e)) {
          // cancel() may interrupt the driver after the loop saw the cancel and began closing
          interrupted |= Thread.interrupted();
          LOG.info("Closing a source was interrupted by the run's cancel: {}", e.toString());
        } else {
          LOG.warn("Closing a source failed", e);
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean causedByInterrupt(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InterruptedException
          || t.getClass().getSimpleName().equals("InterruptException")) {
        return true;
      }
    }
    return false;
  }
}
