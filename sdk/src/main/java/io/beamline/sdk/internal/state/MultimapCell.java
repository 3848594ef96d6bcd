package io.beamline.sdk.internal.state;

import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.ReadableState;

/**
 * A {@link MultimapState}. Each multimap key has its own run of entries under {@code cell key |
 * u32 length | encoded key}: a sequence counter at exactly that key (present while the key has
 * values) and one entry per value under {@code ... | u64 seq}, so values of a key come back in the
 * order they were put and duplicates are kept. Keys are identified by their encoding (the key
 * coder must be deterministic). Reads are deferred to {@code read()} and copy what they return.
 */
final class MultimapCell<K, V> extends Cell implements MultimapState<K, V> {
  private final Coder<K> keyCoder;
  private final Coder<V> valueCoder;

  MultimapCell(RocksDbStore store, byte[] key, Coder<K> keyCoder, Coder<V> valueCoder) {
    super(store, key);
    this.keyCoder = keyCoder;
    this.valueCoder = valueCoder;
  }

  /** The counter key of {@code multimapKey}, which is also the prefix of its values. */
  private byte[] keyRun(K multimapKey) {
    return CellKeys.concat(key, CellKeys.lengthPrefixed(encode(keyCoder, multimapKey)));
  }

  @Override
  public void put(K multimapKey, V value) {
    byte[] run = keyRun(multimapKey);
    store.appendWithSequence(run, run, encode(valueCoder, value));
  }

  @Override
  public ReadableState<Iterable<V>> get(K multimapKey) {
    byte[] run = keyRun(multimapKey);
    return deferred(
        () -> {
          List<V> values = new ArrayList<>();
          store.cells.scanPrefix(
              run,
              (entryKey, value) -> {
                if (entryKey.length != run.length) { // skip the counter
                  values.add(decode(valueCoder, value));
                }
                return true;
              });
          return Collections.unmodifiableList(values);
        });
  }

  @Override
  public void remove(K multimapKey) {
    clearPrefix(keyRun(multimapKey));
  }

  @Override
  public ReadableState<Iterable<K>> keys() {
    return deferred(
        () -> {
          List<K> keys = new ArrayList<>();
          store.cells.scanPrefix(
              key,
              (entryKey, value) -> {
                if (entryKey.length == runEnd(entryKey)) { // a counter: one per key
                  keys.add(decode(keyCoder, encodedKey(entryKey)));
                }
                return true;
              });
          return Collections.unmodifiableList(keys);
        });
  }

  @Override
  public ReadableState<Iterable<Map.Entry<K, V>>> entries() {
    return deferred(
        () -> {
          List<Map.Entry<K, V>> entries = new ArrayList<>();
          K[] current = newKeyHolder();
          store.cells.scanPrefix(
              key,
              (entryKey, value) -> {
                if (entryKey.length == runEnd(entryKey)) {
                  // the counter comes first in each key's run: decode the key once per run
                  current[0] = decode(keyCoder, encodedKey(entryKey));
                } else {
                  entries.add(new SimpleImmutableEntry<>(current[0], decode(valueCoder, value)));
                }
                return true;
              });
          return Collections.unmodifiableList(entries);
        });
  }

  @Override
  public ReadableState<Boolean> containsKey(K multimapKey) {
    byte[] run = keyRun(multimapKey);
    return deferred(() -> store.cells.get(run) != null);
  }

  @Override
  public ReadableState<Boolean> isEmpty() {
    return deferred(() -> !hasEntry(entryKey -> true));
  }

  /** Offset just past the encoded multimap key of the entry {@code entryKey} of this cell. */
  private int runEnd(byte[] entryKey) {
    return key.length + Integer.BYTES + CellKeys.readInt(entryKey, key.length);
  }

  private byte[] encodedKey(byte[] entryKey) {
    return Arrays.copyOfRange(entryKey, key.length + Integer.BYTES, runEnd(entryKey));
  }

  @SuppressWarnings("unchecked")
  private K[] newKeyHolder() {
    return (K[]) new Object[1];
  }
}
