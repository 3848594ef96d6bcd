package io.beamline.runners.microbatch.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.beamline.sdk.internal.checkpoint.CheckpointLog;
import io.beamline.sdk.internal.checkpoint.CheckpointSettings;
import io.beamline.sdk.internal.state.RocksDbStore;
import io.beamline.sdk.internal.state.StateSnapshots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Writes an epoch into the checkpoint directory, in the order of the protocol: {@code offsets/N}
 * before the epoch is processed ({@link #logOffsets}); after it, the state snapshot ({@link
 * #snapshot}: heap state inlined in the commit up to {@value #INLINE_STATE_BYTES} bytes, else
 * {@code state/N/heap} when it changed; RocksDB as a checkpoint in {@code state/N/rocksdb}); then
 * {@code commits/N} with the clocks and watermarks ({@link #commit}), and retention ({@link
 * #purge}).
 *
 * <p>Threading: driver thread only.
 */
final class EpochCommitter {
  /**
   * Heap state up to this size is written inside {@code commits/N} instead of {@code state/N/heap}:
   * an epoch then costs two durable files (offsets, commit) like Spark's offset and commit logs.
   */
  static final int INLINE_STATE_BYTES = 16 * 1024;

  static final String ROCKSDB = "rocksdb";

  private final CheckpointLog log;
  private final CheckpointSettings settings;
  private final StateSnapshots snapshots;
  private final @Nullable RocksDbStore rocksDb;
  /** The last heap state written, and the epoch whose state directory holds it (-1: inline). */
  private byte[] lastHeapState;
  private long lastHeapStateEpoch = -1;
  /** This epoch's heap state if it goes inline into its commit, else null. */
  private byte @Nullable [] inlineHeap;

  EpochCommitter(
      CheckpointLog log,
      CheckpointSettings settings,
      StateSnapshots snapshots,
      @Nullable RocksDbStore rocksDb) {
    this.log = log;
    this.settings = settings;
    this.snapshots = snapshots;
    this.rocksDb = rocksDb;
  }

  CheckpointLog log() {
    return log;
  }

  /** Writes {@code offsets/N} durably. */
  void logOffsets(long epoch, ObjectNode offsets) throws Exception {
    log.writeOffsets(epoch, offsets);
  }

  /**
   * Snapshots the run's state for epoch {@code epoch}.
   *
   * @return bytes of the heap snapshot
   * @throws IllegalStateException if some state cannot be encoded, naming the stage
   */
  long snapshot(long epoch) throws Exception {
    byte[] heap = snapshots.write();
    inlineHeap = null;
    if (rocksDb == null && heap.length <= INLINE_STATE_BYTES) {
      inlineHeap = heap; // small: goes into commits/N, no state file (two fsyncs fewer)
      lastHeapState = heap;
      lastHeapStateEpoch = -1;
    } else if (lastHeapStateEpoch < 0 || !Arrays.equals(heap, lastHeapState)) {
      log.writeState(epoch, StateSnapshots.HEAP, heap);
      lastHeapState = heap;
      lastHeapStateEpoch = epoch;
    }
    if (rocksDb != null) {
      Path target = log.stateDir(epoch).resolve(ROCKSDB);
      if (Files.exists(target)) { // left by an attempt of this epoch before a crash
        MoreFiles.deleteRecursively(target, RecursiveDeleteOption.ALLOW_INSECURE);
      }
      rocksDb.checkpoint(target);
    }
    return heap.length;
  }

  /**
   * Writes {@code commits/N}: the epoch's low watermark, state backend, the heap state (inline) or
   * the epoch holding it, processing time, the jump flag and every stage's output watermark.
   */
  void commit(long epoch, Instant lowWatermark, Instant processingTime, boolean jumpToEndOfTime)
      throws Exception {
    StateSnapshots.Time time = snapshots.time(processingTime, jumpToEndOfTime);
    ObjectNode commit = JsonNodeFactory.instance.objectNode();
    commit.put("epoch", epoch);
    commit.put("watermark", lowWatermark.getMillis());
    commit.put("stateBackend", settings.stateBackend().name());
    if (inlineHeap != null) {
      commit.put("heapState", Base64.getEncoder().encodeToString(inlineHeap));
    } else {
      commit.put("stateEpoch", lastHeapStateEpoch);
    }
    commit.put("processingTime", time.processingTime().getMillis());
    commit.put("jumpToEndOfTime", time.jumpToEndOfTime());
    ArrayNode watermarks = commit.putArray("watermarks");
    for (long w : time.watermarks()) {
      watermarks.add(w);
    }
    log.writeCommit(epoch, commit, inlineHeap != null);
  }

  /** Deletes what retention no longer keeps (never the live heap state). */
  void purge(long epoch) throws Exception {
    log.purge(epoch, settings.minEpochsToRetain(), lastHeapStateEpoch);
  }

  /** After a restart: the heap state the last commit points at, and where it lives. */
  void restoredHeapState(byte[] state, long stateEpoch) {
    lastHeapState = state;
    lastHeapStateEpoch = stateEpoch;
  }
}
