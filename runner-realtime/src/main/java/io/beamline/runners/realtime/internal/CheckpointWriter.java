package io.beamline.runners.realtime.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.internal.checkpoint.EpochCommitter;
import io.beamline.sdk.internal.checkpoint.SourcePositions;
import io.beamline.sdk.internal.plan.Stage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a real-time run's checkpoints into MicroBatchRunner's directory format through the shared
 * {@link EpochCommitter}: per checkpoint N, {@code offsets/N} (what the sources had read at barrier
 * N, shaped as MicroBatchRunner's, with the checkpoint's time as processing time), the heap state
 * (a base or a delta of the chain), {@code commits/N} with every stage's watermark, then retention.
 * {@code offsets/N} is written when checkpoint N is complete, not before its epoch as on
 * MicroBatchRunner; its content — what epoch N read — is the same, so MicroBatchRunner replays or
 * resumes it unchanged.
 *
 * <p>On a restart it is also where the sources find their positions ({@link SourcePositions}):
 * Recovery hands it {@code offsets/C} of the last committed checkpoint, and the engine creates the
 * readers of each source task from it ({@link #resumedSplits}) — or, if {@code offsets/C+1} was
 * logged but not committed, from that epoch's start marks up to its end ({@link #replayedSplits}),
 * so it is cut where it was cut the first time (an exactly-once sink may have committed it).
 *
 * <p>Threading: {@link #completed} on the coordinator's thread; the {@link SourcePositions} side on
 * the engine's thread before any task starts.
 */
final class CheckpointWriter implements CheckpointCoordinator.Listener, SourcePositions {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointWriter.class);

  private final EpochCommitter committer;
  private final Map<Stage, Instant> outputWatermarks;
  private final int parallelism;
  /** Keys used between the last two barriers: the next delta's expected size. */
  private long lastDirtyKeys;
  /** {@code offsets/C} of the checkpoint the run resumes after, or null for a fresh run. */
  private @Nullable ObjectNode resumedAfter;
  /** {@code offsets/C+1}, logged but not committed, which the run reads again; or null. */
  private @Nullable ObjectNode replayed;
  private long replayEpoch = -1;

  /**
   * @param outputWatermarks the stage watermarks {@code commits/N} is written from (the run's
   *     {@code StateSnapshots} map), set here from each checkpoint
   */
  CheckpointWriter(EpochCommitter committer, Map<Stage, Instant> outputWatermarks, int parallelism) {
    this.committer = committer;
    this.outputWatermarks = outputWatermarks;
    this.parallelism = parallelism;
  }

  @Override
  public boolean nextIsDelta(long epoch) {
    return committer.deltaFits(lastDirtyKeys);
  }

  /**
   * Writes {@code offsets/N} durably, shaped as MicroBatchRunner's, with the time now as processing
   * time; not for an epoch read again, whose offsets are logged already.
   *
   * @throws Exception if the file cannot be written (the run fails)
   */
  @Override
  public void offsetsLogged(long epoch, ObjectNode sources) throws Exception {
    if (epoch == replayEpoch) {
      return;
    }
    long now = Instant.now().getMillis();
    ObjectNode offsets = JsonNodeFactory.instance.objectNode();
    offsets.put("epoch", epoch);
    offsets.put("parallelism", parallelism);
    offsets.put("processingTime", now);
    offsets.put("endProcessingTime", now);
    offsets.set("sources", sources);
    committer.logOffsets(epoch, offsets);
  }

  /**
   * Writes checkpoint N's state and {@code commits/N} durably, then purges what retention no longer
   * keeps.
   *
   * @throws Exception if a file cannot be written (the run fails: its last checkpoint stays N-1)
   */
  @Override
  public void completed(CheckpointCoordinator.Checkpoint checkpoint) throws Exception {
    long epoch = checkpoint.epoch();
    Instant now = Instant.now();
    committer.snapshot(
        epoch, checkpoint.heap(), checkpoint.delta(), checkpoint.keys(), checkpoint.dirtyKeys());
    outputWatermarks.putAll(checkpoint.watermarks());
    Instant low = null;
    for (Instant watermark : checkpoint.watermarks().values()) {
      low = low == null || watermark.isBefore(low) ? watermark : low;
    }
    committer.commit(epoch, low == null ? now : low, now, checkpoint.last());
    committer.purge(epoch);
    lastDirtyKeys = checkpoint.dirtyKeys();
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "Checkpoint of epoch {}: {} rows read since the last, {} bytes of state, aligned in {} ms",
          epoch,
          rowsRead(checkpoint.sources()),
          checkpoint.heap().length,
          checkpoint.alignmentNanos() / 1_000_000);
    }
  }

  @Override
  public long lastRocksDbSnapshotNanos() {
    return committer.lastRocksDbSnapshotNanos();
  }

  @Override
  public long rocksDbBytes() {
    return committer.rocksDb() == null ? 0 : committer.rocksDb().approximateSizeBytes();
  }

  /** Records the unbounded reads' splits read in the checkpoint's epoch. */
  private static long rowsRead(ObjectNode sources) {
    long rows = 0;
    for (JsonNode source : sources) {
      for (JsonNode split : source.path("splits")) {
        rows += split.path("records").asLong();
      }
    }
    return rows;
  }

  /** The wall clock is the run's processing time; a restored one only ever lies behind it. */
  @Override
  public void restoreProcessingTime(Instant processingTime) {}

  @Override
  public void resumeAfter(ObjectNode offsets) {
    resumedAfter = offsets;
  }

  /**
   * Recovery's verdict: the run starts at {@code epoch}, reading {@code replay} ({@code
   * offsets/epoch}, logged but not committed) again if not null.
   */
  void replay(long epoch, @Nullable ObjectNode replay) {
    this.replayed = replay;
    this.replayEpoch = replay == null ? -1 : epoch;
  }

  /** True if the run resumes a checkpoint, or reads a logged epoch again. */
  boolean resumes() {
    return resumedAfter != null || replayed != null;
  }

  /** True if the run starts by reading a logged but uncommitted epoch again. */
  boolean replays() {
    return replayed != null;
  }

  /**
   * The logged splits of {@code stage}'s unbounded source that task {@code partition} reads: every
   * P-th from {@code partition} (as a fresh run shares them), at their logged end marks.
   *
   * @throws IllegalStateException if the checkpoint has no entry for the stage's source
   */
  List<JsonNode> resumedSplits(Stage stage, int partition) {
    return splitsOf(resumedAfter, stage, partition);
  }

  /** As {@link #resumedSplits}, from the epoch read again ({@link #replays()}). */
  List<JsonNode> replayedSplits(Stage stage, int partition) {
    return splitsOf(replayed, stage, partition);
  }

  private List<JsonNode> splitsOf(ObjectNode offsets, Stage stage, int partition) {
    JsonNode source = offsets.path("sources").path(Integer.toString(stage.id()));
    if (!"unbounded".equals(source.path("kind").asText())) {
      throw new IllegalStateException(
          "The checkpoint logs no unbounded read for " + stage.source().stepName());
    }
    List<JsonNode> mine = new ArrayList<>();
    JsonNode splits = source.path("splits");
    for (int i = partition; i < splits.size(); i += parallelism) {
      mine.add(splits.get(i));
    }
    return mine;
  }
}
