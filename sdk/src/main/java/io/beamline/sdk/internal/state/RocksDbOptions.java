package io.beamline.sdk.internal.state;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.WriteOptions;

/**
 * The native option objects of one {@link RocksDbStore}, sized so that the database's native
 * memory stays modest whatever the amount of state: one shared 64 MiB block cache (data, index and
 * filter blocks), and at most two 32 MiB memtables for state cells plus two 4 MiB memtables for
 * each of the small column families, so at most about 64 + 64 + 16 = 144 MiB outside the Java
 * heap. State larger than that lives in SST files on disk.
 *
 * <p>The write-ahead log is off: a store's durability is its last {@link RocksDbStore#checkpoint}.
 *
 * <p>Threading: immutable after construction; closed once, by the store's {@link
 * RocksDbStore#close}.
 */
final class RocksDbOptions implements AutoCloseable {
  static final long BLOCK_CACHE_BYTES = 64L << 20;
  static final long STATE_WRITE_BUFFER_BYTES = 32L << 20;
  static final long SMALL_WRITE_BUFFER_BYTES = 4L << 20;

  final DBOptions db;
  /** For the column family of state cells. */
  final ColumnFamilyOptions state;
  /** For the small column families (meta, hold index). */
  final ColumnFamilyOptions small;

  final WriteOptions write;
  /** Default reads, for point reads through an overlay's batch. */
  final ReadOptions read;

  private final LRUCache blockCache;
  private final BloomFilter bloomFilter;

  RocksDbOptions() {
    blockCache = new LRUCache(BLOCK_CACHE_BYTES);
    // 10 bits per key: ~1% false positives, so point reads of absent cells (empty value states,
    // bag counters of new keys) rarely touch a data block.
    bloomFilter = new BloomFilter(10, false);
    db =
        new DBOptions()
            .setCreateIfMissing(true)
            .setCreateMissingColumnFamilies(true)
            .setMaxBackgroundJobs(2)
            .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
            .setKeepLogFileNum(2);
    state =
        columnFamily(STATE_WRITE_BUFFER_BYTES).setCompressionType(CompressionType.LZ4_COMPRESSION);
    small = columnFamily(SMALL_WRITE_BUFFER_BYTES);
    write = new WriteOptions().setDisableWAL(true);
    read = new ReadOptions();
  }

  private ColumnFamilyOptions columnFamily(long writeBufferBytes) {
    BlockBasedTableConfig table =
        new BlockBasedTableConfig()
            .setBlockCache(blockCache)
            .setFilterPolicy(bloomFilter)
            .setCacheIndexAndFilterBlocks(true)
            .setPinL0FilterAndIndexBlocksInCache(true);
    return new ColumnFamilyOptions()
        .setTableFormatConfig(table)
        .setWriteBufferSize(writeBufferBytes)
        .setMaxWriteBufferNumber(2);
  }

  @Override
  public void close() {
    read.close();
    write.close();
    small.close();
    state.close();
    db.close();
    bloomFilter.close();
    blockCache.close();
  }
}
