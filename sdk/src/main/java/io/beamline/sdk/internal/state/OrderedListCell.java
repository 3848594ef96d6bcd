package io.beamline.sdk.internal.state;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;

/**
 * An {@link OrderedListState}: a sequence counter under the cell key and one entry per element
 * under {@code cell key | sortable timestamp | u64 seq}, so a timestamp range is one ordered
 * RocksDB range scan, elements with equal timestamps keep their insertion order, and {@link
 * #clearRange} deletes a key range without reading the values.
 */
final class OrderedListCell<T> extends Cell implements OrderedListState<T> {
  private final Coder<T> elemCoder;

  OrderedListCell(RocksDbStore store, byte[] key, Coder<T> elemCoder) {
    super(store, key);
    this.elemCoder = elemCoder;
  }

  private byte[] at(Instant timestamp) {
    return CellKeys.concat(key, CellKeys.timestamp(timestamp));
  }

  @Override
  public void add(TimestampedValue<T> value) {
    store.appendWithSequence(key, at(value.getTimestamp()), encode(elemCoder, value.getValue()));
  }

  /** Every element, ordered by timestamp, read into an unmodifiable list now. */
  @Override
  public Iterable<TimestampedValue<T>> read() {
    List<TimestampedValue<T>> out = new ArrayList<>();
    store.cells.scanPrefix(
        key,
        (entryKey, value) -> {
          if (entryKey.length != key.length) { // skip the counter
            out.add(element(entryKey, value));
          }
          return true;
        });
    return Collections.unmodifiableList(out);
  }

  /**
   * The elements with {@code minTimestamp <= timestamp < limitTimestamp}, ordered by timestamp,
   * read into an unmodifiable list now.
   */
  @Override
  public Iterable<TimestampedValue<T>> readRange(Instant minTimestamp, Instant limitTimestamp) {
    List<TimestampedValue<T>> out = new ArrayList<>();
    if (minTimestamp.isBefore(limitTimestamp)) {
      store.cells.scan(
          at(minTimestamp),
          at(limitTimestamp),
          (entryKey, value) -> {
            out.add(element(entryKey, value));
            return true;
          });
    }
    return Collections.unmodifiableList(out);
  }

  @Override
  public void clearRange(Instant minTimestamp, Instant limitTimestamp) {
    if (minTimestamp.isBefore(limitTimestamp)) {
      store.cells.clear(at(minTimestamp), at(limitTimestamp));
    }
  }

  @Override
  public OrderedListCell<T> readRangeLater(Instant minTimestamp, Instant limitTimestamp) {
    return this;
  }

  @Override
  public ReadableState<Boolean> isEmpty() {
    return deferred(() -> !hasEntry(entryKey -> entryKey.length != key.length));
  }

  @Override
  public OrderedListCell<T> readLater() {
    return this;
  }

  private TimestampedValue<T> element(byte[] entryKey, byte[] value) {
    return TimestampedValue.of(
        decode(elemCoder, value), CellKeys.readTimestamp(entryKey, key.length));
  }
}
