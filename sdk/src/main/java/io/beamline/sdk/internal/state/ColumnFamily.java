package io.beamline.sdk.internal.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import javax.annotation.Nullable;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * One column family of a {@link RocksDbStore}: point reads and writes, ordered range scans and
 * range deletes, with RocksDB errors thrown as {@link UncheckedIOException}. Keys compare as
 * unsigned bytes.
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
  private final Runnable checkOpen;

  ColumnFamily(
      String name, ColumnFamilyHandle handle, RocksDB db, WriteOptions write, Runnable checkOpen) {
    this.name = name;
    this.handle = handle;
    this.db = db;
    this.write = write;
    this.checkOpen = checkOpen;
  }

  @Nullable
  byte[] get(byte[] key) {
    checkOpen.run();
    try {
      return db.get(handle, key);
    } catch (RocksDBException e) {
      throw failure("read", e);
    }
  }

  void put(byte[] key, byte[] value) {
    checkOpen.run();
    try {
      db.put(handle, write, key, value);
    } catch (RocksDBException e) {
      throw failure("write", e);
    }
  }

  void delete(byte[] key) {
    checkOpen.run();
    try {
      db.delete(handle, write, key);
    } catch (RocksDBException e) {
      throw failure("delete", e);
    }
  }

  /** Visits the entries in {@code [from, to)}; {@code to == null} means to the end. */
  void scan(byte[] from, @Nullable byte[] to, EntryVisitor visitor) {
    checkOpen.run();
    // The upper bound lets RocksDB stop at the end of the range instead of reading (and skipping
    // tombstones) past it.
    try (Slice upper = to == null ? null : new Slice(to);
        ReadOptions read = new ReadOptions();
        RocksIterator it =
            db.newIterator(handle, upper == null ? read : read.setIterateUpperBound(upper))) {
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

  /** Deletes every entry in {@code [from, to)}. */
  void clear(byte[] from, byte[] to) {
    List<byte[]> keys = new ArrayList<>();
    scan(
        from,
        to,
        (key, value) -> {
          keys.add(key);
          return keys.size() <= POINT_DELETE_LIMIT;
        });
    if (keys.isEmpty()) {
      return;
    }
    try (WriteBatch batch = new WriteBatch()) {
      if (keys.size() > POINT_DELETE_LIMIT) {
        batch.deleteRange(handle, from, to);
      } else {
        for (byte[] key : keys) {
          batch.delete(handle, key);
        }
      }
      write(batch);
    } catch (RocksDBException e) {
      throw failure("clear a range", e);
    }
  }

  /** Applies {@code batch} (which may span column families) atomically. */
  void write(WriteBatch batch) throws RocksDBException {
    checkOpen.run();
    db.write(write, batch);
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
