package io.beamline.sdk.internal.checkpoint;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.beamline.sdk.internal.state.RocksDbStore;
import io.beamline.sdk.internal.state.StateSnapshots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Writes an epoch into the checkpoint directory, in the order of the protocol: {@code offsets/N}
 * before the epoch is processed ({@link #logOffsets}); after it, the state snapshot ({@link
 * #snapshot}); then {@code commits/N} with the clocks and watermarks ({@link #commit}), and
 * retention ({@link #purge}).
 *
 * <p>Heap state is written incrementally, as a chain: a <em>base</em> (the whole state: inline in
 * {@code commits/B} up to {@value #INLINE_STATE_BYTES} bytes, else {@code state/B/heap}, not
 * written again when it did not change) and, for each later epoch, a <em>delta</em> with only the
 * keys that epoch used ({@link StateSnapshots#writeDelta}: inline in {@code commits/N} when small,
 * else {@code state/N/heap-delta}). {@code commits/N} names the base ({@code stateEpoch} or
 * {@code heapState}) and the chain's deltas ({@code deltaEpochs}). A new base is written when the
 * chain has {@code maxChain} epochs or its deltas would hold more keys than the base (decided
 * from the counts of used keys, before encoding anything): recovery reads the base plus at most
 * {@code min(maxChain, minEpochsToRetain) - 1} deltas (maxChain {@value #MAX_CHAIN} on
 * MicroBatchRunner, {@code minEpochsToRetain} on RealtimeRunner) holding at most as many keys as
 * the base, and
 * every file of the chain is inside the retained epochs. RocksDB state is a
 * checkpoint in {@code state/N/rocksdb} every epoch (incremental by construction: its SST files
 * are hard links).
 *
 * <p>Shared by both runners: MicroBatchRunner writes an epoch as it runs it; RealtimeRunner writes
 * a barrier checkpoint through {@link #snapshot(long, byte[], boolean, long, long)}, so that one
 * directory serves both.
 *
 * <p>Threading: one thread at a time (MicroBatchRunner's driver thread, RealtimeRunner's checkpoint
 * coordinator).
 */
public final class EpochCommitter {
  /**
   * Heap state up to this size is written inside {@code commits/N} instead of {@code state/N/heap}:
   * an epoch then costs two durable files (offsets, commit) like Spark's offset and commit logs.
   */
  public static final int INLINE_STATE_BYTES = 16 * 1024;

  public static final String ROCKSDB = "rocksdb";

  /** The name of a delta's file in {@code state/N}. */
  public static final String HEAP_DELTA = "heap-delta";

  /** At most this many epochs per chain (base and deltas), fewer if retention keeps fewer. */
  public static final int MAX_CHAIN = 10;

  private final CheckpointLog log;
  private final CheckpointSettings settings;
  private final StateSnapshots snapshots;
  private final @Nullable RocksDbStore rocksDb;
  /** Epochs per chain: at most the constructor's, and no more than the retained epochs. */
  private final int maxChain;
  /** The last base written (null: none, the next snapshot writes one), and where it lives. */
  private byte @Nullable [] lastHeapState;
  private long lastHeapStateEpoch = -1;
  /** The base inline in the commit that wrote it: this epoch's, or null if in a state file. */
  private byte @Nullable [] inlineBase;
  /** Keys in the last base. */
  private long baseKeys;
  /** The epochs of the chain's deltas since the base, and the keys they hold in all. */
  private final List<Long> deltaEpochs = new ArrayList<>();
  private long deltaKeys;
  /** This epoch's delta if it goes inline into its commit, else null. */
  private byte @Nullable [] inlineDelta;
  private long lastRocksDbSnapshotNanos;

  /** A committer whose chains have at most {@value #MAX_CHAIN} epochs (MicroBatchRunner's). */
  public EpochCommitter(
      CheckpointLog log,
      CheckpointSettings settings,
      StateSnapshots snapshots,
      @Nullable RocksDbStore rocksDb) {
    this(log, settings, snapshots, rocksDb, MAX_CHAIN);
  }

  /**
   * A committer whose chains have at most {@code maxChain} epochs, fewer if retention keeps fewer.
   * RealtimeRunner checkpoints every 100 ms, so it chains up to the retained epochs: a base then
   * comes once the deltas hold as many keys as it, and recovery still reads at most twice the
   * base's keys.
   */
  public EpochCommitter(
      CheckpointLog log,
      CheckpointSettings settings,
      StateSnapshots snapshots,
      @Nullable RocksDbStore rocksDb,
      int maxChain) {
    this.log = log;
    this.settings = settings;
    this.snapshots = snapshots;
    this.rocksDb = rocksDb;
    this.maxChain = Math.min(maxChain, Math.max(1, settings.minEpochsToRetain()));
  }

  public CheckpointLog log() {
    return log;
  }

  /** Writes {@code offsets/N} durably. */
  public void logOffsets(long epoch, ObjectNode offsets) throws Exception {
    log.writeOffsets(epoch, offsets);
  }

  /**
   * Snapshots the run's state for epoch {@code epoch}: a delta of the keys it used, or a new base.
   *
   * @return bytes of heap state written for this epoch (the delta, or the base)
   * @throws IllegalStateException if some state cannot be encoded, naming the stage
   */
  public long snapshot(long epoch) throws Exception {
    long written = writeHeap(epoch);
    snapshotRocksDb(epoch);
    return written;
  }

  /** Checkpoints RocksDB, if the run has it, into {@code state/N/rocksdb}. */
  private void snapshotRocksDb(long epoch) throws Exception {
    if (rocksDb == null) {
      return;
    }
    long start = System.nanoTime();
    Path target = log.stateDir(epoch).resolve(ROCKSDB);
    if (Files.exists(target)) { // left by an attempt of this epoch before a crash
      MoreFiles.deleteRecursively(target, RecursiveDeleteOption.ALLOW_INSECURE);
    }
    rocksDb.checkpoint(target);
    lastRocksDbSnapshotNanos = System.nanoTime() - start;
  }

  /**
   * Nanoseconds the last snapshot spent on RocksDB (flushing memtables and hard-linking SST files
   * into {@code state/N/rocksdb}), or -1 if the run has no RocksDB state.
   */
  public long lastRocksDbSnapshotNanos() {
    return rocksDb == null ? -1 : lastRocksDbSnapshotNanos;
  }

  /** The run's RocksDB state store, or null. */
  public @Nullable RocksDbStore rocksDb() {
    return rocksDb;
  }

  private long writeHeap(long epoch) throws Exception {
    long dirtyKeys = snapshots.keys(true);
    return deltaFits(dirtyKeys)
        ? writeDelta(epoch, snapshots.writeDelta(), dirtyKeys)
        : writeBase(epoch, snapshots.write(), snapshots.keys(false));
  }

  /**
   * Whether the next snapshot may be a delta holding {@code dirtyKeys} keys: a base exists, the
   * chain is not full, and the chain's deltas would not hold more keys than its base. A run whose
   * tasks snapshot at a barrier (RealtimeRunner) decides before it knows the keys, on an estimate.
   */
  public boolean deltaFits(long dirtyKeys) {
    return lastHeapState != null
        && deltaEpochs.size() + 1 < maxChain
        && deltaKeys + dirtyKeys <= Math.max(baseKeys, 1);
  }

  /**
   * Writes the heap state of epoch {@code epoch} already encoded (RealtimeRunner assembles it from
   * its tasks' images, {@link StateSnapshots#assemble}), and checkpoints RocksDB if the run has it:
   * the caller makes sure RocksDB then holds every task's writes up to its barrier and none after
   * (RealtimeRunner's tasks write through {@link RocksDbStore.Overlay}s they apply at barriers).
   *
   * @param delta whether {@code heap} is a delta (it then extends the chain; see {@link
   *     #deltaFits}), else a base
   * @param keys keys of all keyed stores; {@code dirtyKeys} of them in a delta
   * @return bytes of heap state written
   * @throws IllegalStateException if {@code heap} is a delta and no base was written before it
   */
  public long snapshot(long epoch, byte[] heap, boolean delta, long keys, long dirtyKeys)
      throws Exception {
    if (delta && lastHeapState == null) {
      throw new IllegalStateException("Epoch " + epoch + " has a delta but no base before it");
    }
    long written = delta ? writeDelta(epoch, heap, dirtyKeys) : writeBase(epoch, heap, keys);
    snapshotRocksDb(epoch);
    return written;
  }

  private long writeDelta(long epoch, byte[] delta, long dirtyKeys) throws Exception {
    inlineDelta = null;
    if (delta.length <= INLINE_STATE_BYTES) {
      inlineDelta = delta;
    } else {
      log.writeState(epoch, HEAP_DELTA, delta);
    }
    deltaEpochs.add(epoch);
    deltaKeys += dirtyKeys;
    return delta.length;
  }

  /** No chain yet, the chain is full, or the deltas would hold more keys than the base. */
  private long writeBase(long epoch, byte[] heap, long keys) throws Exception {
    inlineDelta = null;
    boolean unchanged =
        inlineBase == null && lastHeapStateEpoch >= 0 && Arrays.equals(heap, lastHeapState);
    deltaEpochs.clear();
    deltaKeys = 0;
    baseKeys = keys;
    lastHeapState = heap;
    if (unchanged) {
      inlineBase = null; // the base in state/M/heap still holds it
    } else if (rocksDb == null && heap.length <= INLINE_STATE_BYTES) {
      inlineBase = heap; // small: goes into commits/N, no state file (two fsyncs fewer)
      lastHeapStateEpoch = epoch;
    } else {
      log.writeState(epoch, StateSnapshots.HEAP, heap);
      inlineBase = null;
      lastHeapStateEpoch = epoch;
    }
    return heap.length;
  }

  /**
   * Writes {@code commits/N}: the epoch's low watermark, state backend, the heap state (inline) or
   * the epoch holding it, processing time, the jump flag and every stage's output watermark.
   */
  public void commit(long epoch, Instant lowWatermark, Instant processingTime, boolean jumpToEndOfTime)
      throws Exception {
    StateSnapshots.Time time = snapshots.time(processingTime, jumpToEndOfTime);
    ObjectNode commit = JsonNodeFactory.instance.objectNode();
    commit.put("epoch", epoch);
    commit.put("watermark", lowWatermark.getMillis());
    commit.put("stateBackend", settings.stateBackend().name());
    boolean baseInline = inlineBase != null && deltaEpochs.isEmpty(); // this epoch wrote it
    if (baseInline) {
      commit.put("heapState", Base64.getEncoder().encodeToString(inlineBase));
    } else {
      commit.put("stateEpoch", lastHeapStateEpoch); // inline in commits/M or in state/M/heap
    }
    if (!deltaEpochs.isEmpty()) {
      ArrayNode deltas = commit.putArray("deltaEpochs");
      deltaEpochs.forEach(deltas::add);
    }
    if (inlineDelta != null) {
      commit.put("heapDelta", Base64.getEncoder().encodeToString(inlineDelta));
    }
    commit.put("processingTime", time.processingTime().getMillis());
    commit.put("jumpToEndOfTime", time.jumpToEndOfTime());
    ArrayNode watermarks = commit.putArray("watermarks");
    for (long w : time.watermarks()) {
      watermarks.add(w);
    }
    log.writeCommit(epoch, commit, baseInline || inlineDelta != null);
  }

  /** Deletes what retention no longer keeps (never the base of the chain). */
  public void purge(long epoch) throws Exception {
    log.purge(epoch, settings.minEpochsToRetain(), inlineBase == null ? lastHeapStateEpoch : -1);
  }

  /**
   * After a restart from a commit whose heap state is {@code base} in {@code state/stateEpoch/heap}
   * ({@code stateEpoch} -1: inline) with {@code deltas} applied on it: the next snapshot writes a
   * new base unless there were no deltas and the state did not change.
   */
  void restoredHeapState(byte[] base, long stateEpoch, int deltas) {
    deltaEpochs.clear();
    deltaKeys = 0;
    baseKeys = snapshots.keys(false);
    inlineBase = null;
    lastHeapState = deltas == 0 && stateEpoch >= 0 ? base : null;
    lastHeapStateEpoch = stateEpoch;
  }
}
