package io.beamline.sdk.internal.state;

import javax.annotation.Nullable;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.joda.time.Instant;

/**
 * A {@link WatermarkHoldState}: one entry, the combined hold as a sortable {@link
 * CellKeys#timestamp}, under the cell key, mirrored in the store's hold index under the key's hold
 * group so that {@link RocksDbStore#earliestHold} finds it.
 */
final class WatermarkHoldCell extends Cell implements WatermarkHoldState {
  private final TimestampCombiner timestampCombiner;
  private final byte[] holdGroup;

  WatermarkHoldCell(
      RocksDbStore store, byte[] key, byte[] holdGroup, TimestampCombiner timestampCombiner) {
    super(store, key);
    this.holdGroup = holdGroup;
    this.timestampCombiner = timestampCombiner;
  }

  @Override
  public void add(Instant outputTime) {
    Instant previous = read();
    Instant combined =
        previous == null ? outputTime : timestampCombiner.combine(previous, outputTime);
    if (!combined.equals(previous)) {
      store.holdIndex.put(key, holdGroup, previous, combined);
    }
  }

  @Override
  public @Nullable Instant read() {
    byte[] bytes = store.cells.get(key);
    return bytes == null ? null : CellKeys.readTimestamp(bytes, 0);
  }

  @Override
  public ReadableState<Boolean> isEmpty() {
    return deferred(() -> store.cells.get(key) == null);
  }

  @Override
  public TimestampCombiner getTimestampCombiner() {
    return timestampCombiner;
  }

  @Override
  public WatermarkHoldCell readLater() {
    return this;
  }

  @Override
  public void clear() {
    Instant previous = read();
    if (previous != null) {
      store.holdIndex.clear(key, holdGroup, previous);
    }
  }
}
