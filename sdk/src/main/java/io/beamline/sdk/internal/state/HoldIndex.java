package io.beamline.sdk.internal.state;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import javax.annotation.Nullable;
import org.joda.time.Instant;

/**
 * The hold index of a {@link RocksDbStore}: one entry per non-empty {@code WatermarkHoldState},
 * {@code hold group | sortable hold | cell key} → (empty), in its own column family, so a group's
 * earliest hold is one seek and the cell key keeps equal holds of different cells apart. A hold
 * cell and its index entry change in one atomic write.
 *
 * <p>Threading: as {@link ColumnFamily}; a cell's updates are read-modify-write, so one thread at a
 * time per cell.
 */
final class HoldIndex {
  /** Bytes of a hold group: {@link RocksDbStore#OPERATOR_PREFIX_BYTES}. */
  static final int GROUP_BYTES = RocksDbStore.OPERATOR_PREFIX_BYTES;

  private static final byte[] EMPTY = new byte[0];

  private final ColumnFamily holds;
  private final ColumnFamily cells;

  HoldIndex(ColumnFamily holds, ColumnFamily cells) {
    this.holds = holds;
    this.cells = cells;
  }

  /** The earliest hold filed under {@code group}, or null if there is none. */
  @Nullable
  Instant earliest(byte[] group) {
    Instant[] earliest = {null};
    holds.scanPrefix(
        group,
        (key, value) -> {
          earliest[0] = CellKeys.readTimestamp(key, GROUP_BYTES);
          return false;
        });
    return earliest[0];
  }

  /**
   * Sets the hold cell {@code cellKey} to {@code hold} and moves its index entry (under {@code
   * group}) from {@code previous} (null if the cell was empty).
   */
  void put(byte[] cellKey, byte[] group, @Nullable Instant previous, Instant hold) {
    byte[] encoded = CellKeys.timestamp(hold);
    cells.write(
        "write a watermark hold",
        batch -> {
          if (previous != null) {
            batch.delete(holds.handle, key(group, cellKey, CellKeys.timestamp(previous)));
          }
          batch.put(holds.handle, key(group, cellKey, encoded), EMPTY);
          batch.put(cells.handle, cellKey, encoded);
        });
  }

  /** Empties the hold cell {@code cellKey}, which held {@code previous}, filed under {@code group}. */
  void clear(byte[] cellKey, byte[] group, Instant previous) {
    cells.write(
        "clear a watermark hold",
        batch -> {
          batch.delete(holds.handle, key(group, cellKey, CellKeys.timestamp(previous)));
          batch.delete(cells.handle, cellKey);
        });
  }

  /**
   * Files every entry under the group {@code groupOf} gives for its cell key; returns how many
   * moved.
   */
  int regroup(Function<byte[], byte[]> groupOf) {
    List<byte[]> from = new ArrayList<>();
    List<byte[]> to = new ArrayList<>();
    holds.scan(
        EMPTY,
        null,
        (indexKey, value) -> {
          byte[] rest = Arrays.copyOfRange(indexKey, GROUP_BYTES, indexKey.length); // ts | cell key
          byte[] group = groupOf.apply(Arrays.copyOfRange(rest, CellKeys.LONG_BYTES, rest.length));
          if (!Arrays.equals(indexKey, 0, GROUP_BYTES, group, 0, group.length)) {
            from.add(indexKey);
            to.add(CellKeys.concat(group, rest));
          }
          return true;
        });
    for (int i = 0; i < from.size(); i++) {
      byte[] old = from.get(i);
      byte[] moved = to.get(i);
      holds.write(
          "regroup a watermark hold",
          batch -> {
            batch.delete(holds.handle, old);
            batch.put(holds.handle, moved, EMPTY);
          });
    }
    return from.size();
  }

  private static byte[] key(byte[] group, byte[] cellKey, byte[] timestamp) {
    return CellKeys.concat(group, timestamp, cellKey);
  }
}
