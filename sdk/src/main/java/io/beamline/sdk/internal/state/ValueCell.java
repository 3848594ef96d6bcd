package io.beamline.sdk.internal.state;

import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.ValueState;

/** A {@link ValueState}: one entry, the encoded value, under the cell key. */
final class ValueCell<T> extends Cell implements ValueState<T> {
  private final Coder<T> coder;

  ValueCell(RocksDbStore store, byte[] key, Coder<T> coder) {
    super(store, key);
    this.coder = coder;
  }

  /** Stores {@code input}; writing null clears the cell (reads return null either way). */
  @Override
  public void write(@Nullable T input) {
    if (input == null) {
      clear();
    } else {
      store.cells.put(key, encode(coder, input));
    }
  }

  @Override
  public @Nullable T read() {
    byte[] bytes = store.cells.get(key);
    return bytes == null ? null : decode(coder, bytes);
  }

  @Override
  public ValueCell<T> readLater() {
    return this;
  }

  @Override
  public void clear() {
    store.cells.delete(key);
  }
}
