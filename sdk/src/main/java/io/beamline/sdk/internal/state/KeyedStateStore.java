package io.beamline.sdk.internal.state;

import io.beamline.sdk.internal.exchange.ByteKey;
import io.beamline.sdk.internal.exchange.Partitioning;
import io.beamline.sdk.internal.time.KeyedTimers;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The per-key state and timers of one keyed operator in one partition: state cells on the heap
 * (runners-core's in-memory state) or in RocksDB ({@code --stateBackend=rocksdb}); timers and the
 * keys that have timers or heap state are on the heap. In
 * a bounded run it lives for one task; in a streaming run it lives across epochs, owned by the
 * engine.
 *
 * <p>Threading: used by one task at a time; successive epochs' tasks are ordered by the epoch
 * barrier.
 */
public final class KeyedStateStore {

  /** State and timers of one key. */
  public static final class KeyState {
    private final ByteKey encodedKey;
    private final Object key;
    private final StateInternals state;
    private final HoldTracking.TimerInternals timers = new HoldTracking.TimerInternals();
    /** Dropped by {@link #evictIdle}: a delta writes it as a key with nothing. */
    private boolean evicted;
    /** In {@link #dirty}: used since the last snapshot or delta. */
    private boolean dirty;
    /** Used since {@link KeyedIndex} last indexed its hold; the hold it indexed, if any. */
    boolean holdStale;
    @Nullable Instant indexedHold;
    /** No longer in its store (evicted or replaced). */
    boolean gone;

    KeyState(ByteKey encodedKey, Object key, StateInternals state) {
      this.encodedKey = encodedKey;
      this.key = key;
      this.state = state;
    }

    /** The key as the shuffle encodes it. */
    public ByteKey encodedKey() {
      return encodedKey;
    }

    /** The key, decoded. */
    public Object key() {
      return key;
    }

    /** The key's state cells. */
    public StateInternals state() {
      return state;
    }

    /** The key's timers. */
    public HoldTracking.TimerInternals timers() {
      return timers;
    }

    /** The heap state; only for a heap store. */
    HoldTracking.StateInternals heap() {
      return (HoldTracking.StateInternals) state;
    }
  }

  private final Map<ByteKey, KeyState> keys = new LinkedHashMap<>();
  /**
   * Keys used (read, written, fired) since the last snapshot, in first-use order: what a delta
   * snapshot writes. By identity ({@link KeyState#dirty}): a key evicted and used again is here
   * twice, as the evicted and the new state.
   */
  private final List<KeyState> dirty = new ArrayList<>();
  private Instant watermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  /** The partition's output watermark: the input watermark held by the holds, last computed. */
  private Instant outputWatermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private final @Nullable RocksDbStore rocksDb;
  private final byte @Nullable [] operatorPrefix;
  /** Where the partition's RocksDB watermark holds are indexed: stage id | partition. */
  private final byte @Nullable [] holdGroup;
  private final @Nullable Coder<Object> keyCoder;
  private final KeyedIndex index = new KeyedIndex();
  private final Consumer<TimerData> timerSet = index::timerSet;

  /** A heap store. */
  public KeyedStateStore() {
    this(null, 0, 0, null);
  }

  private KeyedStateStore(
      @Nullable RocksDbStore rocksDb, int stageId, int partition, @Nullable Coder<?> keyCoder) {
    this.rocksDb = rocksDb;
    this.operatorPrefix = rocksDb == null ? null : StageKeyLayout.holdGroup(stageId, 0);
    this.holdGroup = rocksDb == null ? null : StageKeyLayout.holdGroup(stageId, partition);
    @SuppressWarnings("unchecked")
    Coder<Object> coder = (Coder<Object>) keyCoder;
    this.keyCoder = coder;
  }

  /**
   * A store of partition {@code partition} whose state cells live in {@code rocksDb}, under an
   * operator prefix of the stage id (not the partition, so a restore with another parallelism finds
   * every key's cells); its watermark holds are indexed per partition (stage id | partition), so
   * the partition's output watermark waits only for its own keys. Timers and the keys that have
   * them stay on the heap. After a restore, {@link StageKeyLayout#regroupHolds} files the holds
   * under the partitions of the run's parallelism.
   */
  public static KeyedStateStore rocksDb(
      RocksDbStore rocksDb, int stageId, int partition, Coder<?> keyCoder) {
    return new KeyedStateStore(rocksDb, stageId, partition, keyCoder);
  }

  private StateInternals newState(ByteKey encodedKey, Object key) {
    if (rocksDb == null) {
      return new HoldTracking.StateInternals(key);
    }
    return rocksDb.stateInternals(
        StageKeyLayout.namespacePrefix(operatorPrefix, encodedKey), key, holdGroup);
  }

  /**
   * Drops keys that hold nothing on the heap any more: no pending timer and, for a heap store, no
   * state (a RocksDB store's cells stay in RocksDB and are found again by key). Call between
   * epochs.
   */
  public void evictIdle() {
    keys.values().removeIf(this::evictIfIdle);
  }

  /**
   * As {@link #evictIdle}, over the keys used since the last snapshot or delta only: a key becomes
   * idle only when it is used (its state cleared, its last timer fired), so if every snapshot is
   * preceded by this call, no idle key is missed. Cost proportional to the keys used, not to all
   * keys (RealtimeRunner evicts at every checkpoint barrier, ten times a second by default).
   */
  public void evictIdleAmongUsed() {
    for (KeyState k : dirty) {
      if (!k.evicted && keys.get(k.encodedKey) == k && evictIfIdle(k)) {
        keys.remove(k.encodedKey);
      }
    }
  }

  private boolean evictIfIdle(KeyState k) {
    k.evicted = k.timers.pending().isEmpty() && (rocksDb != null || k.heap().isEmpty());
    if (k.evicted) {
      index.removed(k);
    }
    return k.evicted;
  }

  /**
   * The state of the key encoded as {@code encodedKey} ({@code key} decoded), created on first use.
   * A new key's timers start at the watermark the partition has already reached, so a key first
   * seen in a later epoch does not see time go back.
   */
  public KeyState get(ByteKey encodedKey, Object key) {
    KeyState keyState = keys.get(encodedKey);
    if (keyState == null) {
      keyState = new KeyState(encodedKey, key, newState(encodedKey, key));
      keyState.timers.onTimerSet(timerSet);
      keys.put(encodedKey, keyState);
    }
    markUsed(keyState);
    if (watermark.isAfter(keyState.timers.currentInputWatermarkTime())) {
      // keys without timers are not visited when the watermark moves: catch up on first use
      try {
        keyState.timers.advanceInputWatermark(watermark);
      } catch (Exception e) {
        throw new IllegalStateException("Cannot advance the timers of key " + key, e);
      }
    }
    KeyedTimers.setOutputWatermark(keyState.timers, outputWatermark);
    return keyState;
  }

  /**
   * Records the partition's output watermark after its watermark moved (its input watermark held
   * back by {@link #earliestHold()}); keys see it as their output watermark from then on.
   */
  public void outputReached(Instant output) {
    if (output.isAfter(outputWatermark)) {
      outputWatermark = output;
    }
  }

  /** The output watermark last recorded by {@link #outputReached}. */
  public Instant outputWatermark() {
    return outputWatermark;
  }

  /**
   * The earliest firing time of a pending processing-time or synchronized-processing-time timer of
   * any key, or +∞ if there is none.
   */
  public Instant earliestProcessingTimer() {
    Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (KeyState keyState : keys.values()) {
      Instant at = keyState.timers.earliestProcessingTimer();
      earliest = at.isBefore(earliest) ? at : earliest;
    }
    return earliest;
  }

  /** Records that {@code keyState} was used without {@link #get} (its timers fired). */
  public void markUsed(KeyState keyState) {
    index.used(keyState);
    if (!keyState.dirty) {
      keyState.dirty = true;
      dirty.add(keyState);
    }
  }

  /** The input watermark the partition's keys have reached. */
  public Instant watermark() {
    return watermark;
  }

  /**
   * Records that the partition's input watermark reached {@code watermark}: keys whose timers are
   * not fired now catch up when next used ({@link #get}).
   */
  public void advancedTo(Instant watermark) {
    if (watermark.isAfter(this.watermark)) {
      this.watermark = watermark;
    }
  }

  /** Every key seen so far, in first-seen order. */
  public Collection<KeyState> all() {
    return keys.values();
  }

  /**
   * Whether some key may have a timer due at one of these clocks; if not, firing timers need not
   * visit the keys. Lower bounds of every key's earliest timers, kept as timers are set and made
   * exact by {@link #resetTimerBounds} and {@link #boundTimers}.
   */
  public boolean timersMayFire(Instant watermark, Instant processingTime, Instant synchronizedTime) {
    return index.timersMayFire(watermark, processingTime, synchronizedTime);
  }

  /** Before a visit of every key to fire timers; the visit recomputes the bounds. */
  public void resetTimerBounds() {
    index.resetTimerBounds();
  }

  /** In that visit, after a key's timers fired: counts its earliest remaining timers. */
  public void boundTimers(KeyState keyState) {
    index.bound(keyState.timers);
  }

  /**
   * The earliest watermark hold of any key (state holds and pending timers' output timestamps), or
   * +∞ if there is none.
   */
  public Instant earliestHold() {
    Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    if (rocksDb != null) {
      Instant held = rocksDb.earliestHold(holdGroup);
      earliest = held == null ? earliest : held;
    }
    Instant keyed = index.earliestHold(this::holdOf);
    return keyed.isBefore(earliest) ? keyed : earliest;
  }

  /** One key's earliest hold: of its heap state cells and of its timers' output timestamps. */
  private Instant holdOf(KeyState keyState) {
    Instant state =
        rocksDb == null ? keyState.heap().earliestHold() : BoundedWindow.TIMESTAMP_MAX_VALUE;
    Instant timers = keyState.timers.earliestHold();
    return state.isBefore(timers) ? state : timers;
  }

  /** Number of keys with state or timers. */
  public int size() {
    return keys.size();
  }

  /** Number of keys used since the last snapshot or delta: the keys a delta would write. */
  public int dirtyCount() {
    return dirty.size();
  }

  /**
   * Number of non-empty state cells over all keys of a heap store, for progress reports; 0 for a
   * RocksDB store (see {@link RocksDbStore#approximateCellCount}).
   */
  public long cellCount() {
    long cells = 0;
    for (KeyState keyState : keys.values()) {
      cells += rocksDb == null ? keyState.heap().cellCount() : 0;
    }
    return cells;
  }

  /**
   * Writes the state and pending timers of every key that has any, and the watermark reached.
   * Keys are encoded with {@code keyCoder}, timers with Beam's {@code TimerDataCoderV2} over
   * {@code windowCoder}, heap state cells by {@link StateCells} (a RocksDB store writes no cells:
   * they are in the RocksDB checkpoint). Starts a new delta ({@link #snapshotDelta}).
   *
   * @throws IOException if a coder fails
   */
  public void snapshot(
      DataOutputStream out, Coder<?> keyCoder, Coder<? extends BoundedWindow> windowCoder)
      throws IOException {
    List<KeyState> live = new ArrayList<>();
    for (KeyState keyState : keys.values()) {
      if (!isEmpty(keyState)) {
        live.add(keyState);
      }
    }
    write(out, live, windowCoder);
  }

  /**
   * Writes, in the format of {@link #snapshot}, only the keys used since the last snapshot or
   * delta — their whole state as it is now, or no state at all for a key that is gone or empty —
   * and the watermark reached: applied after the snapshot before it ({@link #applyDelta}), it gives
   * the state as it is now. Cost is proportional to the keys an epoch touched, not to all keys.
   *
   * @throws IOException if a coder fails
   */
  public void snapshotDelta(DataOutputStream out, Coder<? extends BoundedWindow> windowCoder)
      throws IOException {
    List<KeyState> written = new ArrayList<>(dirty.size());
    for (KeyState keyState : dirty) {
      if (keyState.evicted) {
        written.add(keyState); // first: the same key may come again below, used after eviction
      }
    }
    for (KeyState keyState : dirty) {
      if (!keyState.evicted) {
        written.add(keyState);
      }
    }
    write(out, written, windowCoder);
  }

  /** Forgets which keys were used: the next delta starts from now. */
  private void clearDirty() {
    for (KeyState keyState : dirty) {
      keyState.dirty = false;
    }
    dirty.clear();
  }

  private boolean isEmpty(KeyState keyState) {
    return keyState.timers.pending().isEmpty() && (rocksDb != null || keyState.heap().isEmpty());
  }

  private void write(
      DataOutputStream out, List<KeyState> written, Coder<? extends BoundedWindow> windowCoder)
      throws IOException {
    Coder<TimerData> timerCoder = TimerInternals.TimerDataCoderV2.of(windowCoder);
    out.writeLong(watermark.getMillis());
    out.writeInt(written.size());
    for (KeyState keyState : written) {
      StateCells.writeBytes(out, keyState.encodedKey.bytes());
      if (keyState.evicted || isEmpty(keyState)) {
        out.writeInt(0);
        out.writeInt(0);
        continue;
      }
      if (rocksDb == null) {
        keyState.heap().snapshot(out);
      } else {
        out.writeInt(0);
      }
      out.writeInt(keyState.timers.pending().size());
      for (TimerData timer : keyState.timers.pending()) {
        StateCells.writeBytes(out, CoderUtils.encodeToByteArray(timerCoder, timer));
      }
    }
    clearDirty();
  }

  /**
   * Reads a snapshot written by {@link #snapshot} into {@code stores}, each key into the store of
   * its partition ({@link Partitioning}), so a snapshot taken with another parallelism restores
   * too.
   *
   * @throws IOException if the snapshot does not decode with these coders
   */
  public static void restore(
      DataInputStream in,
      KeyedStateStore[] stores,
      Coder<?> keyCoder,
      Coder<? extends BoundedWindow> windowCoder)
      throws IOException {
    read(in, stores, keyCoder, windowCoder, false);
  }

  /**
   * Applies a delta written by {@link #snapshotDelta} to {@code stores} restored from the snapshot
   * before it: each key in the delta is replaced by its state in the delta (removed if it has none).
   *
   * @throws IOException if the delta does not decode with these coders
   */
  public static void applyDelta(
      DataInputStream in,
      KeyedStateStore[] stores,
      Coder<?> keyCoder,
      Coder<? extends BoundedWindow> windowCoder)
      throws IOException {
    read(in, stores, keyCoder, windowCoder, true);
  }

  @SuppressWarnings("unchecked")
  private static void read(
      DataInputStream in,
      KeyedStateStore[] stores,
      Coder<?> keyCoder,
      Coder<? extends BoundedWindow> windowCoder,
      boolean replace)
      throws IOException {
    Coder<TimerData> timerCoder = TimerInternals.TimerDataCoderV2.of(windowCoder);
    Instant reached = new Instant(in.readLong());
    for (KeyedStateStore store : stores) {
      store.advancedTo(reached);
    }
    int count = in.readInt();
    for (int i = 0; i < count; i++) {
      byte[] keyBytes = StateCells.readBytes(in);
      ByteKey encodedKey = new ByteKey(keyBytes);
      KeyedStateStore store = stores[Partitioning.partitionOf(encodedKey, stores.length)];
      if (replace) {
        KeyState replaced = store.keys.remove(encodedKey);
        if (replaced != null) {
          store.index.removed(replaced);
        }
      }
      int cells = in.readInt();
      if (cells == 0) {
        int timers = in.readInt();
        if (timers == 0) {
          continue; // a key with nothing: gone
        }
        readKey(in, store, encodedKey, keyBytes, keyCoder, 0, timers, timerCoder);
      } else {
        readKey(in, store, encodedKey, keyBytes, keyCoder, cells, -1, timerCoder);
      }
    }
    for (KeyedStateStore store : stores) {
      store.clearDirty(); // restored state is what the checkpoint has: nothing to write again
    }
  }

  /**
   * Reads one key's record whose cell count ({@code cells}) was already read, and whose timer
   * count too if {@code timers} is not -1.
   */
  @SuppressWarnings("unchecked")
  private static void readKey(
      DataInputStream in,
      KeyedStateStore store,
      ByteKey encodedKey,
      byte[] keyBytes,
      Coder<?> keyCoder,
      int cells,
      int timers,
      Coder<TimerData> timerCoder)
      throws IOException {
    Object key = CoderUtils.decodeFromByteArray((Coder<Object>) keyCoder, keyBytes);
    KeyState keyState = store.get(encodedKey, key);
    if (cells > 0) {
      if (!(keyState.state instanceof HoldTracking.StateInternals heap)) {
        throw new IOException("The snapshot has heap state cells but the store is RocksDB");
      }
      heap.restore(in, cells);
    }
    int timerCount = timers >= 0 ? timers : in.readInt();
    for (int t = 0; t < timerCount; t++) {
      keyState.timers.setTimer(CoderUtils.decodeFromByteArray(timerCoder, StateCells.readBytes(in)));
    }
  }
}
