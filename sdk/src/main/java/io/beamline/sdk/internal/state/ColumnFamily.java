package io.beamline.sdk.internal.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import javax.annotation.Nullable;
import org.rocksdb.AbstractWriteBatch;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBatchWithIndex;
import org.rocksdb.WriteOptions;

/**
 * One column family of a {@link RocksDbStore}: point reads and writes, ordered range scans and
 * range deletes, with RocksDB errors thrown as {@link UncheckedIOException}. Keys compare as
 * unsigned bytes.
 *
 * <p>On a thread with an {@link RocksDbStore.Overlay overlay}, writes go into the overlay's indexed
 * batch instead of the database, and reads and scans see the batch over the database ({@code
 * WriteBatchWithIndex#getFromBatchAndDB}, {@code newIteratorWithBase}).
 *
 * <p>Threading: thread-safe, as RocksDB is; every call first runs the store's open check.
 */
final class ColumnFamily {
  /**
   * Clearing a range first looks at up to this many entries; a range that ends within them is
   * cleared with point deletes, a longer one with one range tombstone. Point deletes keep reads
   * fast when small cells are cleared often; a range tombstone keeps clearing a big cell O(1).
   */
  private static final int POINT_DELETE_LIMIT = 64;

  /** Visits entries of a scan in key order; returns false to stop the scan. */
  @FunctionalInterface
  interface EntryVisitor {
    boolean visit(byte[] key, byte[] value);
  }

  final ColumnFamilyHandle handle;
  private final String name;
  private final RocksDB db;
  private final WriteOptions write;
  private final ReadOptions read;
  private final Runnable checkOpen;
  /** The calling thread's overlay batch, or null: write to the database. */
  private final Supplier<WriteBatchWithIndex> overlay;

  ColumnFamily(
      String name,
      ColumnFamilyHandle handle,
      RocksDB db,
      RocksDbOptions options,
      Runnable checkOpen,
      Supplier<WriteBatchWithIndex> overlay) {
    this.name = name;
    this.handle = handle;
    this.db = db;
    this.write = options.write;
    this.read = options.read;
    this.checkOpen = checkOpen;
    this.overlay = overlay;
  }

  @Nullable
  byte[] get(byte[] key) {
    checkOpen.run();
    WriteBatchWithIndex batch = overlay.get();
    try {
      return batch == null ? db.get(handle, key) : batch.getFromBatchAndDB(db, handle, read, key);
    } catch (RocksDBException e) {
      throw failure("read", e);
    }
  }

  void put(byte[] key, byte[] value) {
    checkOpen.run();
    WriteBatchWithIndex batch = overlay.get();
    try {
      if (batch == null) {
        db.put(handle, write, key, value);
      } else {
        batch.put(handle, key, value);
      }
    } catch (RocksDBException e) {
      throw failure("write", e);
    }
  }

  void delete(byte[] key) {
    checkOpen.run();
    WriteBatchWithIndex batch = overlay.get();
    try {
      if (batch == null) {
        db.delete(handle, write, key);
      } else {
        batch.delete(handle, key);
      }
    } catch (RocksDBException e) {
      throw failure("delete", e);
    }
  }

  /** Visits the entries in {@code [from, to)}; {@code to == null} means to the end. */
  void scan(byte[] from, @Nullable byte[] to, EntryVisitor visitor) {
    checkOpen.run();
    // The upper bound lets RocksDB stop at the end of the range instead of reading (and skipping
    // tombstones) past it.
    WriteBatchWithIndex batch = overlay.get();
    try (Slice upper = to == null ? null : new Slice(to);
        ReadOptions bounded = new ReadOptions();
        RocksIterator base =
            db.newIterator(handle, upper == null ? bounded : bounded.setIterateUpperBound(upper));
        RocksIterator it =
            batch == null ? base : batch.newIteratorWithBase(handle, base, bounded)) {
      // with an overlay, the read options bound the batch's entries as well as the database's
      for (it.seek(from); it.isValid(); it.next()) {
        if (!visitor.visit(it.key(), it.value())) {
          return;
        }
      }
      it.status();
    } catch (RocksDBException e) {
      throw failure("scan", e);
    }
  }

  /** Visits the entries whose keys start with {@code prefix}. */
  void scanPrefix(byte[] prefix, EntryVisitor visitor) {
    byte[] end = CellKeys.prefixEnd(prefix);
    if (end != null) {
      scan(prefix, end, visitor);
    } else {
      // no successor (empty or all 0xFF): scan to the end and stop at the first foreign key
      scan(
          prefix,
          null,
          (key, value) -> CellKeys.startsWith(key, prefix) && visitor.visit(key, value));
    }
  }

  /**
   * Deletes every entry in {@code [from, to)}. On a thread with an overlay every entry gets a point
   * delete (an indexed batch has no range tombstones).
   */
  void clear(byte[] from, byte[] to) {
    boolean overlaid = overlay.get() != null;
    List<byte[]> keys = new ArrayList<>();
    scan(
        from,
        to,
        (key, value) -> {
          keys.add(key);
          return overlaid || keys.size() <= POINT_DELETE_LIMIT;
        });
    if (keys.isEmpty()) {
      return;
    }
    write(
        "clear a range",
        batch -> {
          if (keys.size() > POINT_DELETE_LIMIT && !overlaid) {
            batch.deleteRange(handle, from, to);
          } else {
            for (byte[] key : keys) {
              batch.delete(handle, key);
            }
          }
        });
  }

  /** Writes into one batch; see {@link #write(String, BatchWrites)}. */
  @FunctionalInterface
  interface BatchWrites {
    void writeInto(AbstractWriteBatch batch) throws RocksDBException;
  }

  /**
   * Applies the writes of {@code writes} (which may span column families) atomically: as one
   * database write, or into the calling thread's overlay, which is applied whole.
   *
   * @param what for the error message, e.g. "append to a state cell"
   */
  void write(String what, BatchWrites writes) {
    checkOpen.run();
    WriteBatchWithIndex overlaid = overlay.get();
    try {
      if (overlaid != null) {
        writes.writeInto(overlaid);
        return;
      }
      try (WriteBatch batch = new WriteBatch()) {
        writes.writeInto(batch);
        db.write(write, batch);
      }
    } catch (RocksDBException e) {
      throw failure(what, e);
    }
  }

  /** A numeric RocksDB property of this column family, e.g. {@code rocksdb.estimate-num-keys}. */
  long longProperty(String property) {
    checkOpen.run();
    try {
      return db.getLongProperty(handle, property);
    } catch (RocksDBException e) {
      throw failure("read property " + property, e);
    }
  }

  UncheckedIOException failure(String what, RocksDBException e) {
    return new UncheckedIOException(
        new IOException("RocksDB state store, column family " + name + ": cannot " + what, e));
  }
}
