package io.beamline.sdk.internal.state;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.annotation.Nullable;
import org.apache.beam.runners.core.StateInternals;
import org.joda.time.Instant;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatchWithIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keyed state of a streaming runner in one RocksDB database on local disk: Beam {@link
 * StateInternals} for each key of each operator instance ({@link #stateInternals}), an index of
 * their watermark holds ({@link #earliestHold}), a raw key-value area for the caller's own
 * bookkeeping such as timers and key indexes ({@link #put}, {@link #scan}), and cheap consistent
 * {@link #checkpoint checkpoints}.
 *
 * <h2>Column families</h2>
 *
 * <ul>
 *   <li>{@code default}: state cells, laid out as {@link CellKeys} describes. Collections store one
 *       entry per element, so adding to a bag or map never rewrites the collection.
 *   <li>{@code meta}: the raw area; its keys never collide with state cells.
 *   <li>{@code holds}: one entry per non-empty {@code WatermarkHoldState}, keyed by hold group (by
 *       default the operator prefix) and hold timestamp so the earliest hold of a group is one seek
 *       ({@link HoldIndex}).
 * </ul>
 *
 * <h2>Namespace prefixes</h2>
 *
 * <p>A {@code namespacePrefix} is an opaque byte string chosen by the caller that names one key of
 * one operator instance; every state cell of that key is stored under it. The caller must build
 * prefixes so that:
 *
 * <ol>
 *   <li>the first {@link #OPERATOR_PREFIX_BYTES} (8) bytes are the <em>operator prefix</em>, by
 *       default the unit {@link #earliestHold} reports on (for example a 4-byte operator id and a
 *       4-byte partition, or an 8-byte operator id to get one hold over all partitions; a caller
 *       that keeps one operator's keys together but wants a hold per partition gives each key a
 *       <em>hold group</em> instead, {@link #stateInternals(byte[], Object, byte[])}); and
 *   <li>no key's prefix is a proper prefix of another key's prefix, for example by ending it with
 *       the length-prefixed encoded key ({@code operatorPrefix | u32 length | key bytes}).
 *       Otherwise {@link #hasState} and cell scans of one key may see cells of another.
 * </ol>
 *
 * <h2>Memory and durability</h2>
 *
 * <p>Native memory is bounded whatever the amount of state ({@link RocksDbOptions}: a 64 MiB block
 * cache and at most 80 MiB of memtables); the Java heap holds only what a single read returns, so
 * state much larger than the heap works. There is no write-ahead log: after a crash, writes since
 * the last {@link #checkpoint} may be lost, and recovery is {@link #restore} of that checkpoint.
 *
 * <h2>Threading</h2>
 *
 * <p>All methods but {@link #close} may be called from any number of threads at once (RocksDB is
 * thread-safe). Each {@link StateInternals} must be used by one thread at a time, and two threads
 * must not use the same namespace prefix at the same time: bags, combining and hold cells update
 * by read-modify-write. {@link #close} must not run concurrently with any other call; calls after
 * it throw {@link IllegalStateException}.
 *
 * <h2>Failures</h2>
 *
 * <p>A RocksDB error during a state or raw access is thrown as an {@link UncheckedIOException}
 * (Beam's state interfaces declare no checked exceptions).
 */
public final class RocksDbStore implements AutoCloseable {
  /** Length in bytes of the operator prefix that starts every namespace prefix. */
  public static final int OPERATOR_PREFIX_BYTES = 8;

  private static final Logger LOG = LoggerFactory.getLogger(RocksDbStore.class);
  private static final byte[] META = "meta".getBytes(StandardCharsets.UTF_8);
  private static final byte[] HOLDS = "holds".getBytes(StandardCharsets.UTF_8);

  static {
    RocksDB.loadLibrary();
  }

  private final Path directory;
  private final RocksDbOptions options;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  /** State cells, laid out as {@link CellKeys} describes; read and written by the cells. */
  final ColumnFamily cells;

  private final ColumnFamily meta;
  private final ColumnFamily holds;
  /** The hold index in {@link #holds}; hold cells update through it. */
  final HoldIndex holdIndex;
  /** The overlay of the calling thread, if it has one. */
  private final ThreadLocal<Overlay> threadOverlay = new ThreadLocal<>();
  /** Every overlay made, closed with the store. */
  private final List<Overlay> overlays = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private RocksDbStore(
      Path directory, RocksDbOptions options, RocksDB db, List<ColumnFamilyHandle> handles) {
    this.directory = directory;
    this.options = options;
    this.db = db;
    this.handles = handles;
    this.cells =
        new ColumnFamily("default", handles.get(0), db, options, this::checkOpen, this::overlay);
    this.meta = new ColumnFamily("meta", handles.get(1), db, options, this::checkOpen, this::overlay);
    this.holds =
        new ColumnFamily("holds", handles.get(2), db, options, this::checkOpen, this::overlay);
    this.holdIndex = new HoldIndex(holds, cells);
  }

  /**
   * Creates a database in {@code directory}, or opens the one a previous store left there. The
   * directory is created if missing and must not be used by anything else.
   *
   * @throws IOException if the directory cannot be created or RocksDB cannot open it (for example
   *     because another store has it open)
   */
  public static RocksDbStore open(Path directory) throws IOException {
    Files.createDirectories(directory);
    RocksDbOptions options = new RocksDbOptions();
    List<ColumnFamilyDescriptor> descriptors =
        List.of(
            new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, options.state),
            new ColumnFamilyDescriptor(META, options.small),
            new ColumnFamilyDescriptor(HOLDS, options.small));
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      RocksDB db = RocksDB.open(options.db, directory.toString(), descriptors, handles);
      LOG.debug("Opened RocksDB state store in {}", directory);
      return new RocksDbStore(directory, options, db, handles);
    } catch (RocksDBException e) {
      options.close();
      throw new IOException("Cannot open RocksDB state store in " + directory, e);
    }
  }

  /**
   * Opens a copy of a checkpoint made by {@link #checkpoint} in {@code directory}. SST files are
   * hard-linked where the file system allows it (they are immutable, so the checkpoint stays
   * intact), everything else is copied; the checkpoint can be restored again later.
   *
   * @throws IllegalArgumentException if {@code checkpoint} is not a checkpoint directory or {@code
   *     directory} exists and is not an empty directory
   * @throws IOException if copying fails or the copy cannot be opened
   */
  public static RocksDbStore restore(Path checkpoint, Path directory) throws IOException {
    checkArgument(
        Files.isRegularFile(checkpoint.resolve("CURRENT")),
        "%s is not a RocksDB checkpoint (no CURRENT file)",
        checkpoint);
    checkArgument(
        !Files.exists(directory) || isEmptyDirectory(directory),
        "%s must not exist or be an empty directory",
        directory);
    Files.createDirectories(directory);
    try (Stream<Path> files = Files.list(checkpoint)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path copy = directory.resolve(file.getFileName());
        if (file.getFileName().toString().endsWith(".sst")) {
          try {
            Files.createLink(copy, file);
            continue;
          } catch (IOException | UnsupportedOperationException e) {
            // another file system, or no hard links: copy instead
          }
        }
        Files.copy(file, copy);
      }
    }
    LOG.debug("Restored RocksDB checkpoint {} into {}", checkpoint, directory);
    return open(directory);
  }

  private static boolean isEmptyDirectory(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      return false;
    }
    try (Stream<Path> entries = Files.list(directory)) {
      return entries.findAny().isEmpty();
    }
  }

  /**
   * Beam state of one key of one operator instance. Cells are addressed by {@code
   * namespacePrefix}, the {@code StateNamespace}'s string key and the {@code StateTag}'s id, and
   * encoded with the coders of the tag's spec. The returned object caches the {@code State}
   * objects it hands out (so equal requests return the same object) but no state contents: every
   * read sees every earlier write, through any {@code StateInternals} of this store.
   *
   * @param namespacePrefix at least {@link #OPERATOR_PREFIX_BYTES} bytes, built as the class
   *     Javadoc says; copied
   * @param key returned by {@link StateInternals#getKey()}; not interpreted
   * @throws IllegalArgumentException if {@code namespacePrefix} is shorter than {@link
   *     #OPERATOR_PREFIX_BYTES}
   */
  public StateInternals stateInternals(byte[] namespacePrefix, @Nullable Object key) {
    checkArgument(
        namespacePrefix.length >= OPERATOR_PREFIX_BYTES,
        "a namespace prefix starts with a %s-byte operator prefix; got %s bytes",
        OPERATOR_PREFIX_BYTES,
        namespacePrefix.length);
    checkOpen();
    byte[] prefix = namespacePrefix.clone();
    return new RocksDbStateInternals(
        this, prefix, Arrays.copyOf(prefix, OPERATOR_PREFIX_BYTES), key);
  }

  /**
   * As {@link #stateInternals(byte[], Object)}, with the key's watermark holds indexed under {@code
   * holdGroup} instead of its operator prefix: {@link #earliestHold}{@code (holdGroup)} is then the
   * earliest hold of the keys given that group (say, of one partition of an operator whose cells
   * are keyed by operator only). Every state of one key must use one group; {@link #regroupHolds}
   * moves existing index entries to new groups.
   *
   * @throws IllegalArgumentException if {@code namespacePrefix} is shorter or {@code holdGroup} is
   *     not {@link #OPERATOR_PREFIX_BYTES} long
   */
  public StateInternals stateInternals(
      byte[] namespacePrefix, @Nullable Object key, byte[] holdGroup) {
    checkArgument(
        namespacePrefix.length >= OPERATOR_PREFIX_BYTES,
        "a namespace prefix starts with a %s-byte operator prefix; got %s bytes",
        OPERATOR_PREFIX_BYTES,
        namespacePrefix.length);
    checkArgument(
        holdGroup.length == OPERATOR_PREFIX_BYTES,
        "a hold group has %s bytes; got %s",
        OPERATOR_PREFIX_BYTES,
        holdGroup.length);
    checkOpen();
    return new RocksDbStateInternals(this, namespacePrefix.clone(), holdGroup.clone(), key);
  }

  /**
   * Files every hold index entry under the group {@code groupOf} gives for its cell key (a hold
   * cell's key, which starts with its namespace prefix): after a restore with another number of
   * partitions, or from a store whose holds were grouped otherwise. One scan of the hold index;
   * call it before the store is used.
   */
  public void regroupHolds(Function<byte[], byte[]> groupOf) {
    int moved = holdIndex.regroup(groupOf);
    if (moved > 0) {
      LOG.debug("Moved {} watermark hold index entries to new groups", moved);
    }
  }

  /**
   * The earliest {@code WatermarkHoldState} value over all keys whose namespace prefix starts
   * with {@code operatorPrefix} (or whose hold group it is), or null if none of them holds the
   * watermark. One RocksDB seek in the hold index: O(log n) in the number of holds (plus the index entries of holds that moved or
   * were cleared and that compaction has not dropped yet, which the seek skips).
   *
   * @throws IllegalArgumentException if {@code operatorPrefix} is not {@link
   *     #OPERATOR_PREFIX_BYTES} long
   */
  public @Nullable Instant earliestHold(byte[] operatorPrefix) {
    checkArgument(
        operatorPrefix.length == OPERATOR_PREFIX_BYTES,
        "an operator prefix has %s bytes; got %s",
        OPERATOR_PREFIX_BYTES,
        operatorPrefix.length);
    return holdIndex.earliest(operatorPrefix);
  }

  /** True if any state cell is stored under {@code namespacePrefix}. */
  public boolean hasState(byte[] namespacePrefix) {
    boolean[] found = {false};
    cells.scanPrefix(
        namespacePrefix,
        (key, value) -> {
          found[0] = true;
          return false;
        });
    return found[0];
  }

  /** Stores {@code value} under {@code key} in the raw area, replacing any previous value. */
  public void put(byte[] key, byte[] value) {
    meta.put(key, value);
  }

  /** The value of {@code key} in the raw area, or null if there is none. */
  public @Nullable byte[] get(byte[] key) {
    return meta.get(key);
  }

  /** Removes {@code key} from the raw area; a no-op if absent. */
  public void delete(byte[] key) {
    meta.delete(key);
  }

  /**
   * Calls {@code visitor} with each raw entry whose key is in {@code [fromInclusive,
   * toExclusive)}, in unsigned bytewise key order, on the calling thread. Entries written during
   * the scan (also by the visitor) may or may not be visited.
   */
  public void scan(byte[] fromInclusive, byte[] toExclusive, BiConsumer<byte[], byte[]> visitor) {
    meta.scan(
        fromInclusive,
        toExclusive,
        (key, value) -> {
          visitor.accept(key, value);
          return true;
        });
  }

  /**
   * Writes a consistent checkpoint of the whole store (state, raw area, hold index) into {@code
   * target}: memtables are flushed, then RocksDB hard-links the SST files, so this is cheap. It
   * contains every write that returned before this call started; writes running concurrently may
   * or may not be in it, so callers checkpoint at a barrier. Reopen it with {@link #restore}.
   *
   * @throws IllegalArgumentException if {@code target} exists
   * @throws IOException if RocksDB cannot flush or write the checkpoint
   */
  public void checkpoint(Path target) throws IOException {
    checkArgument(!Files.exists(target), "checkpoint target %s must not exist", target);
    checkOpen();
    Path parent = target.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (FlushOptions flush = new FlushOptions().setWaitForFlush(true);
        Checkpoint checkpoint = Checkpoint.create(db)) {
      // Without a write-ahead log only flushed data is in SST files, which is all a checkpoint has.
      db.flush(flush, handles);
      checkpoint.createCheckpoint(target.toAbsolutePath().toString());
    } catch (RocksDBException e) {
      throw new IOException("Cannot checkpoint the RocksDB state store into " + target, e);
    }
  }

  /**
   * Gives the calling thread an overlay: from now on its writes (state cells, raw area, hold index)
   * stay in the overlay, and its reads and scans see them over the database, until {@link
   * Overlay#apply} writes them into the database. Other threads do not see them meanwhile, and
   * neither does {@link #checkpoint}. A task of a run that checkpoints at barriers (RealtimeRunner)
   * takes one, applies it at each barrier and so keeps its writes after the barrier out of the
   * checkpoint the other tasks are still reaching.
   *
   * @throws IllegalStateException if the calling thread already has one, or the store is closed
   */
  public Overlay overlayThisThread() {
    checkOpen();
    checkState(threadOverlay.get() == null, "this thread already has an overlay");
    Overlay overlay = new Overlay();
    overlays.add(overlay);
    threadOverlay.set(overlay);
    return overlay;
  }

  private @Nullable WriteBatchWithIndex overlay() {
    Overlay overlay = threadOverlay.get();
    return overlay == null ? null : overlay.batch;
  }

  /**
   * One thread's writes held back from the database ({@link #overlayThisThread}), in a RocksDB
   * {@code WriteBatchWithIndex} (in memory: its size grows with the writes between two {@link
   * #apply}s).
   *
   * <p>Threading: used by its thread; {@link #apply} may run on another thread once its thread no
   * longer uses the store (a task that ended hands it over).
   */
  public final class Overlay {
    private final WriteBatchWithIndex batch = new WriteBatchWithIndex(true);

    private Overlay() {}

    /**
     * Writes every entry into the database atomically and empties the overlay, which stays in
     * use.
     *
     * @throws IOException if RocksDB cannot write the batch
     */
    public synchronized void apply() throws IOException {
      checkOpen();
      if (batch.count() == 0) {
        return;
      }
      try {
        db.write(options.write, batch);
      } catch (RocksDBException e) {
        throw new IOException("Cannot apply a task's writes to the RocksDB state store", e);
      }
      batch.clear();
    }

    /** Entries (puts and deletes) waiting for {@link #apply}. */
    public synchronized int size() {
      return batch.count();
    }

    private synchronized void close() {
      batch.close();
    }
  }

  /**
   * Approximate bytes the store occupies: SST files on disk plus memtables in native memory, over
   * all column families. From RocksDB's {@code rocksdb.total-sst-files-size} and {@code
   * rocksdb.cur-size-all-mem-tables}; for progress reports, not for accounting.
   */
  public long approximateSizeBytes() {
    long bytes = 0;
    for (ColumnFamily family : List.of(cells, meta, holds)) {
      bytes += family.longProperty("rocksdb.total-sst-files-size");
      bytes += family.longProperty("rocksdb.cur-size-all-mem-tables");
    }
    return bytes;
  }

  /**
   * Approximate number of state entries (RocksDB's {@code rocksdb.estimate-num-keys} of the state
   * column family): one per value, combining or hold cell, one per bag, set, map, multimap or
   * ordered-list element, plus one sequence counter per bag, ordered list and multimap key. May be
   * far off right after many deletes; for progress reports only.
   */
  public long approximateCellCount() {
    return cells.longProperty("rocksdb.estimate-num-keys");
  }

  /** The working directory this store was opened in. */
  public Path directory() {
    return directory;
  }

  /**
   * Closes the database and frees its native memory; the files stay in {@link #directory()}, but
   * writes since the last {@link #checkpoint} may be lost (there is no write-ahead log).
   * Idempotent. Must not run concurrently with any other call on this store.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    overlays.forEach(Overlay::close);
    handles.forEach(ColumnFamilyHandle::close);
    db.close();
    options.close();
    LOG.debug("Closed RocksDB state store in {}", directory);
  }

  // ---- multi-entry writes of the cells in this package; each is one atomic write batch ----

  /**
   * Stores {@code value} under {@code elementPrefix | seq}, where {@code seq} is the 8-byte
   * sequence number kept under {@code counterKey} (0 if absent), and increments the counter.
   * Elements appended under one counter sort in the order they were appended.
   */
  void appendWithSequence(byte[] counterKey, byte[] elementPrefix, byte[] value) {
    byte[] counter = cells.get(counterKey);
    long seq = counter == null ? 0 : CellKeys.readLong(counter, 0);
    cells.write(
        "append to a state cell",
        batch -> {
          batch.put(cells.handle, CellKeys.concat(elementPrefix, CellKeys.longBytes(seq)), value);
          batch.put(cells.handle, counterKey, CellKeys.longBytes(seq + 1));
        });
  }

  private void checkOpen() {
    checkState(!closed, "the RocksDB state store in %s is closed", directory);
  }
}
