package io.beamline.sdk.internal.state;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.ReadableState;

/**
 * A {@link BagState}: a sequence counter under the cell key and one entry per element under
 * {@code cell key | u64 seq}, so {@link #add} writes two small entries whatever the bag's size and
 * {@link #read} returns the elements in the order they were added. The counter exists exactly
 * while the bag is non-empty (bags have no remove), which makes {@link #isEmpty} one point read.
 */
final class BagCell<T> extends Cell implements BagState<T> {
  private final Coder<T> elemCoder;

  BagCell(RocksDbStore store, byte[] key, Coder<T> elemCoder) {
    super(store, key);
    this.elemCoder = elemCoder;
  }

  @Override
  public void add(T value) {
    store.appendWithSequence(key, key, encode(elemCoder, value));
  }

  /** The elements in insertion order, read into an unmodifiable list now. */
  @Override
  public Iterable<T> read() {
    List<T> elements = new ArrayList<>();
    store.cells.scanPrefix(
        key,
        (entryKey, value) -> {
          if (entryKey.length != key.length) { // skip the counter
            elements.add(decode(elemCoder, value));
          }
          return true;
        });
    return Collections.unmodifiableList(elements);
  }

  @Override
  public ReadableState<Boolean> isEmpty() {
    return deferred(() -> store.cells.get(key) == null);
  }

  @Override
  public BagCell<T> readLater() {
    return this;
  }
}
