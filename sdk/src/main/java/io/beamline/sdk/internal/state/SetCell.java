package io.beamline.sdk.internal.state;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.ReadableStates;
import org.apache.beam.sdk.state.SetState;

/**
 * A {@link SetState}: one entry per element under {@code cell key | encoded element}, with an
 * empty value. Elements are identified by their encoding, so the element coder must be
 * deterministic (as Beam requires of set state); {@link #read} returns them in encoded-byte order.
 */
final class SetCell<T> extends Cell implements SetState<T> {
  private final Coder<T> elemCoder;

  SetCell(RocksDbStore store, byte[] key, Coder<T> elemCoder) {
    super(store, key);
    this.elemCoder = elemCoder;
  }

  private byte[] elementKey(T element) {
    return CellKeys.concat(key, encode(elemCoder, element));
  }

  @Override
  public void add(T value) {
    store.cells.put(elementKey(value), EMPTY);
  }

  /**
   * Whether the set contains {@code t} when this method is called (not when the result is read):
   * Beam's {@code StateInternalsTest#testSetReadable} requires this snapshot behaviour, as in
   * {@code InMemoryStateInternals}.
   */
  @Override
  public ReadableState<Boolean> contains(T t) {
    return ReadableStates.immediate(store.cells.get(elementKey(t)) != null);
  }

  @Override
  public ReadableState<Boolean> addIfAbsent(T t) {
    byte[] elementKey = elementKey(t);
    boolean absent = store.cells.get(elementKey) == null;
    if (absent) {
      store.cells.put(elementKey, EMPTY);
    }
    return ReadableStates.immediate(absent);
  }

  @Override
  public void remove(T t) {
    store.cells.delete(elementKey(t));
  }

  /** The elements, read into an unmodifiable list now. */
  @Override
  public Iterable<T> read() {
    List<T> elements = new ArrayList<>();
    store.cells.scanPrefix(
        key,
        (entryKey, value) -> {
          elements.add(decode(elemCoder, CellKeys.suffix(entryKey, key.length)));
          return true;
        });
    return Collections.unmodifiableList(elements);
  }

  @Override
  public ReadableState<Boolean> isEmpty() {
    return deferred(() -> !hasEntry(entryKey -> true));
  }

  @Override
  public SetCell<T> readLater() {
    return this;
  }
}
