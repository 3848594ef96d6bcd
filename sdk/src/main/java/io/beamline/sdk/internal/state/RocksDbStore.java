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
import java.util.function.BiConsumer;
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
import org.rocksdb.WriteBatch;
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
 *   <li>{@code holds}: one entry per non-empty {@code WatermarkHoldState}, keyed by operator prefix
 *       and hold timestamp so the earliest hold of an operator is one seek.
 * </ul>
 *
 * <h2>Namespace prefixes</h2>
 *
 * <p>A {@code namespacePrefix} is an opaque byte string chosen by the caller that names one key of
 * one operator instance; every state cell of that key is stored under it. The caller must build
 * prefixes so that:
 *
 * <ol>
 *   <li>the first {@link #OPERATOR_PREFIX_BYTES} (8) bytes are the <em>operator prefix</em>, the
 *       unit {@link #earliestHold} reports on (for example a 4-byte operator id and a 4-byte
 *       partition, or an 8-byte operator id to get one hold over all partitions); and
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
  private static final byte[] EMPTY = new byte[0];

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
  private volatile boolean closed;

  private RocksDbStore(
      Path directory, RocksDbOptions options, RocksDB db, List<ColumnFamilyHandle> handles) {
    this.directory = directory;
    this.options = options;
    this.db = db;
    this.handles = handles;
    this.cells = new ColumnFamily("default", handles.get(0), db, options.write, this::checkOpen);
    this.meta = new ColumnFamily("meta", handles.get(1), db, options.write, this::checkOpen);
    this.holds = new ColumnFamily("holds", handles.get(2), db, options.write, this::checkOpen);
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
    return new RocksDbStateInternals(this, namespacePrefix.clone(), key);
  }

  /**
   * The earliest {@code WatermarkHoldState} value over all keys whose namespace prefix starts
   * with {@code operatorPrefix}, or null if none of them holds the watermark. One RocksDB seek in
   * the hold index: O(log n) in the number of holds (plus the index entries of holds that moved or
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
    Instant[] earliest = {null};
    holds.scanPrefix(
        operatorPrefix,
        (key, value) -> {
          earliest[0] = CellKeys.readTimestamp(key, OPERATOR_PREFIX_BYTES);
          return false;
        });
    return earliest[0];
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
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(cells.handle, CellKeys.concat(elementPrefix, CellKeys.longBytes(seq)), value);
      batch.put(cells.handle, counterKey, CellKeys.longBytes(seq + 1));
      cells.write(batch);
    } catch (RocksDBException e) {
      throw cells.failure("append to a state cell", e);
    }
  }

  /**
   * Sets the watermark hold cell {@code cellKey} to {@code hold} and moves its hold index entry
   * from {@code previous} (null if the cell was empty).
   */
  void putHold(byte[] cellKey, @Nullable Instant previous, Instant hold) {
    byte[] encoded = CellKeys.timestamp(hold);
    try (WriteBatch batch = new WriteBatch()) {
      if (previous != null) {
        batch.delete(holds.handle, holdIndexKey(cellKey, CellKeys.timestamp(previous)));
      }
      batch.put(holds.handle, holdIndexKey(cellKey, encoded), EMPTY);
      batch.put(cells.handle, cellKey, encoded);
      cells.write(batch);
    } catch (RocksDBException e) {
      throw cells.failure("write a watermark hold", e);
    }
  }

  /** Empties the watermark hold cell {@code cellKey}, which held {@code previous}. */
  void clearHold(byte[] cellKey, Instant previous) {
    try (WriteBatch batch = new WriteBatch()) {
      batch.delete(holds.handle, holdIndexKey(cellKey, CellKeys.timestamp(previous)));
      batch.delete(cells.handle, cellKey);
      cells.write(batch);
    } catch (RocksDBException e) {
      throw cells.failure("clear a watermark hold", e);
    }
  }

  /**
   * {@code operator prefix | sortable hold | cell key}: an operator's first index entry is its
   * earliest hold, and the cell key keeps equal holds of different cells apart.
   */
  private static byte[] holdIndexKey(byte[] cellKey, byte[] timestamp) {
    return CellKeys.concat(Arrays.copyOf(cellKey, OPERATOR_PREFIX_BYTES), timestamp, cellKey);
  }

  private void checkOpen() {
    checkState(!closed, "the RocksDB state store in %s is closed", directory);
  }
}
