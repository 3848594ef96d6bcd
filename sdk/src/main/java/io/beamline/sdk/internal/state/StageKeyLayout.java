package io.beamline.sdk.internal.state;

import io.beamline.sdk.internal.exchange.ByteKey;
import io.beamline.sdk.internal.exchange.Partitioning;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * How a {@link KeyedStateStore} lays out the keys of one keyed stage in a {@link RocksDbStore}
 * shared by all stages and partitions:
 *
 * <pre>
 * namespace prefix = stage id (u32) | 0 (u32) | u32 length | encoded key
 * hold group       = stage id (u32) | partition (u32)
 * </pre>
 *
 * <p>Cells are keyed by stage, not partition, so a restore with another parallelism finds every
 * key's cells; watermark holds are indexed per partition, so a partition's output watermark waits
 * only for its own keys, and {@link #regroupHolds} files them anew after a restore.
 */
public final class StageKeyLayout {
  private StageKeyLayout() {}

  /** The operator prefix of stage {@code stageId} with {@code partition}: a key's hold group. */
  static byte[] holdGroup(int stageId, int partition) {
    return ByteBuffer.allocate(RocksDbStore.OPERATOR_PREFIX_BYTES)
        .putInt(stageId)
        .putInt(partition)
        .array();
  }

  /** The namespace prefix of the key encoded as {@code encodedKey} under {@code operatorPrefix}. */
  static byte[] namespacePrefix(byte[] operatorPrefix, ByteKey encodedKey) {
    byte[] encoded = encodedKey.bytes();
    return ByteBuffer.allocate(operatorPrefix.length + Integer.BYTES + encoded.length)
        .put(operatorPrefix)
        .putInt(encoded.length)
        .put(encoded)
        .array();
  }

  /**
   * Files every watermark hold of a restored {@code rocksDb} under the partition its key has among
   * {@code parallelism} partitions ({@link Partitioning}): a checkpoint written with another
   * parallelism, or before holds were indexed per partition, then holds each partition back by its
   * own keys only. One scan of the hold index; call it before the stores are used.
   */
  public static void regroupHolds(RocksDbStore rocksDb, int parallelism) {
    rocksDb.regroupHolds(
        cellKey -> {
          // a hold cell's key starts with its key's namespace prefix
          ByteBuffer cell = ByteBuffer.wrap(cellKey);
          int stageId = cell.getInt(0);
          int length = cell.getInt(RocksDbStore.OPERATOR_PREFIX_BYTES);
          int from = RocksDbStore.OPERATOR_PREFIX_BYTES + Integer.BYTES;
          ByteKey key = new ByteKey(Arrays.copyOfRange(cellKey, from, from + length));
          return holdGroup(stageId, Partitioning.partitionOf(key, parallelism));
        });
  }
}
