package io.beamline.sdk.internal.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.CheckpointException;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.state.StageKeyLayout;
import io.beamline.sdk.internal.state.RocksDbStore;
import io.beamline.sdk.internal.state.StateSnapshots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.OptionalLong;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restarting a run from its checkpoint directory: the state of the last committed epoch C
 * (RocksDB from {@code state/C/rocksdb}, heap state from the base and deltas {@code commits/C}
 * names, clocks and stage watermarks), every source positioned after {@code offsets/C},
 * and, if {@code offsets/C+1} exists, epoch C+1 replayed over exactly those offsets and the
 * processing time logged with them. A changed state backend, a missing snapshot or a replay with
 * another parallelism where shards matter are reported as {@link CheckpointException}s. Shared by
 * both runners, so that a run resumes a directory written by either.
 */
public final class Recovery {
  private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

  private Recovery() {}

  /**
   * Where the run starts.
   *
   * @param epoch the first epoch to run
   * @param replay the offsets of {@code epoch} if it is replayed, else null
   * @param jumpToEndOfTime the committed run was draining at the end of processing time
   */
  public record Start(long epoch, @Nullable ObjectNode replay, boolean jumpToEndOfTime) {
    public static Start fresh() {
      return new Start(0, null, false);
    }
  }

  /**
   * Opens the run's RocksDB in {@code dir}: from the last committed snapshot if there is one, with
   * its watermark holds filed under the run's {@code parallelism} partitions ({@link
   * StageKeyLayout#regroupHolds}).
   *
   * @throws CheckpointException if a committed epoch's RocksDB snapshot is missing
   */
  public static RocksDbStore openRocksDb(@Nullable CheckpointLog log, Path dir, int parallelism)
      throws Exception {
    OptionalLong committed = log == null ? OptionalLong.empty() : log.lastCommitted();
    Path snapshot =
        committed.isPresent()
            ? log.stateDir(committed.getAsLong()).resolve(EpochCommitter.ROCKSDB)
            : null;
    if (snapshot != null
        && !Files.exists(snapshot)
        && "ROCKSDB"
            .equals(log.readCommit(committed.getAsLong()).path("stateBackend").asText())) {
      throw new CheckpointException(
          snapshot,
          "RocksDB snapshot "
              + snapshot
              + " is missing although its epoch is committed; the checkpoint directory was"
              + " modified by hand");
    }
    if (snapshot == null || !Files.exists(snapshot)) {
      return RocksDbStore.open(dir);
    }
    RocksDbStore restored = RocksDbStore.restore(snapshot, dir);
    StageKeyLayout.regroupHolds(restored, parallelism);
    return restored;
  }

  /**
   * Restores the state of the last committed epoch into the run and positions its sources.
   *
   * @throws CheckpointException if the checkpoint cannot be resumed by this run
   */
  public static Start restore(
      EpochCommitter committer,
      CheckpointSettings settings,
      StateSnapshots snapshots,
      SourcePositions planner,
      ExecutablePlan plan,
      int parallelism)
      throws Exception {
    CheckpointLog log = committer.log();
    OptionalLong committed = log.lastCommitted();
    long epoch = 0;
    boolean jumpToEndOfTime = false;
    if (committed.isPresent()) {
      long c = committed.getAsLong();
      ObjectNode commit = log.readCommit(c);
      checkBackend(log, c, commit, settings);
      restoreHeapState(committer, snapshots, log, c, commit);
      JsonNode watermarks = commit.path("watermarks");
      long[] stageWatermarks = new long[watermarks.size()];
      for (int i = 0; i < stageWatermarks.length; i++) {
        stageWatermarks[i] = watermarks.get(i).asLong();
      }
      Instant processingTime = new Instant(commit.path("processingTime").asLong());
      jumpToEndOfTime = commit.path("jumpToEndOfTime").asBoolean();
      snapshots.restoreWatermarks(
          new StateSnapshots.Time(processingTime, jumpToEndOfTime, stageWatermarks));
      planner.restoreProcessingTime(processingTime);
      planner.resumeAfter(log.readOffsets(c));
      epoch = c + 1;
      LOG.info("Resuming run {} after committed epoch {}", log.runId(), c);
    }
    if (!log.hasOffsets(epoch)) {
      return new Start(epoch, null, jumpToEndOfTime);
    }
    ObjectNode logged = log.readOffsets(epoch);
    if (!settings.replayUncommittedEpoch()) {
      LOG.warn("Skipping uncommitted epoch {} (replay disabled): its input is lost", epoch);
      planner.resumeAfter(logged);
      return new Start(epoch + 1, null, jumpToEndOfTime);
    }
    int loggedParallelism = logged.path("parallelism").asInt(parallelism);
    if (loggedParallelism != parallelism && !plan.transactionalSinks().isEmpty()) {
      throw new CheckpointException(
          log.offsetsFile(epoch),
          "Epoch "
              + epoch
              + " was started with --parallelism="
              + loggedParallelism
              + " and must be replayed with it (the shards of "
              + plan.transactionalSinks()
              + " are the tasks of that parallelism); this run asks for --parallelism="
              + parallelism
              + ". Restart with --parallelism="
              + loggedParallelism
              + " and change it once the epoch is committed");
    }
    LOG.info("Replaying epoch {} over its logged offsets", epoch);
    return new Start(epoch, logged, jumpToEndOfTime);
  }

  /**
   * Restores the heap state {@code commits/C} names: its base (inline in {@code commits/B} or in
   * {@code state/B/heap}), then each delta of the chain in order (inline in {@code commits/M} or in
   * {@code state/M/heap-delta}).
   */
  private static void restoreHeapState(
      EpochCommitter committer, StateSnapshots snapshots, CheckpointLog log, long c, ObjectNode commit)
      throws Exception {
    long stateEpoch = commit.has("heapState") ? c : commit.path("stateEpoch").asLong(c);
    // a base in a state file may be older than the retained commits (kept while unchanged)
    ObjectNode baseCommit =
        stateEpoch == c || Files.exists(log.stateDir(stateEpoch).resolve(StateSnapshots.HEAP))
            ? commit
            : log.readCommit(stateEpoch);
    boolean inline = baseCommit.has("heapState");
    byte[] base =
        inline
            ? Base64.getDecoder().decode(baseCommit.path("heapState").asText())
            : log.readState(stateEpoch, StateSnapshots.HEAP);
    snapshots.restore(base);
    JsonNode deltas = commit.path("deltaEpochs");
    for (JsonNode d : deltas) {
      long m = d.asLong();
      ObjectNode deltaCommit = m == c ? commit : log.readCommit(m);
      snapshots.applyDelta(
          deltaCommit.has("heapDelta")
              ? Base64.getDecoder().decode(deltaCommit.path("heapDelta").asText())
              : log.readState(m, EpochCommitter.HEAP_DELTA));
    }
    committer.restoredHeapState(base, inline ? -1 : stateEpoch, deltas.size());
  }

  private static void checkBackend(
      CheckpointLog log, long epoch, ObjectNode commit, CheckpointSettings settings) {
    String backend = commit.path("stateBackend").asText("HEAP");
    if (!backend.equals(settings.stateBackend().name())) {
      throw new CheckpointException(
          log.stateDir(epoch),
          "The checkpoint's state is in the "
              + backend.toLowerCase(Locale.ROOT)
              + " backend, this run asks for --stateBackend="
              + settings.stateBackend().name().toLowerCase(Locale.ROOT)
              + "; resume with the backend it was written with");
    }
  }
}
