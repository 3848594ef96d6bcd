package io.beamline.sdk.internal.state;

import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.ReadableStates;

/**
 * A {@link MapState}: one entry per mapping under {@code cell key | encoded map key} whose value is
 * the encoded map value. Map keys are identified by their encoding (the key coder must be
 * deterministic, as Beam requires); iteration is in encoded-key order. Lookups and iterations are
 * deferred: they read the store when {@code read()} is called, and copy what they return.
 */
final class MapCell<K, V> extends Cell implements MapState<K, V> {
  private final Coder<K> keyCoder;
  private final Coder<V> valueCoder;

  MapCell(RocksDbStore store, byte[] key, Coder<K> keyCoder, Coder<V> valueCoder) {
    super(store, key);
    this.keyCoder = keyCoder;
    this.valueCoder = valueCoder;
  }

  private byte[] entryKey(K mapKey) {
    return CellKeys.concat(key, encode(keyCoder, mapKey));
  }

  @Override
  public void put(K mapKey, V value) {
    store.cells.put(entryKey(mapKey), encode(valueCoder, value));
  }

  /**
   * Reads now and, if {@code mapKey} is absent, writes the computed value now (so it is stored
   * even if the result is never read); the result holds the previous value, or null.
   */
  @Override
  public ReadableState<V> computeIfAbsent(
      K mapKey, Function<? super K, ? extends V> mappingFunction) {
    byte[] entryKey = entryKey(mapKey);
    byte[] previous = store.cells.get(entryKey);
    if (previous != null) {
      return ReadableStates.immediate(decode(valueCoder, previous));
    }
    V value = mappingFunction.apply(mapKey);
    if (value != null) {
      store.cells.put(entryKey, encode(valueCoder, value));
    }
    return ReadableStates.immediate(null);
  }

  @Override
  public void remove(K mapKey) {
    store.cells.delete(entryKey(mapKey));
  }

  @Override
  public ReadableState<V> get(K mapKey) {
    return getOrDefault(mapKey, null);
  }

  @Override
  public ReadableState<V> getOrDefault(K mapKey, @Nullable V defaultValue) {
    byte[] entryKey = entryKey(mapKey);
    return deferred(
        () -> {
          byte[] bytes = store.cells.get(entryKey);
          return bytes == null ? defaultValue : decode(valueCoder, bytes);
        });
  }

  @Override
  public ReadableState<Iterable<K>> keys() {
    return deferred(() -> collect((mapKey, value) -> decode(keyCoder, mapKey)));
  }

  @Override
  public ReadableState<Iterable<V>> values() {
    return deferred(() -> collect((mapKey, value) -> decode(valueCoder, value)));
  }

  @Override
  public ReadableState<Iterable<Map.Entry<K, V>>> entries() {
    return deferred(
        () ->
            collect(
                (mapKey, value) ->
                    new SimpleImmutableEntry<>(
                        decode(keyCoder, mapKey), decode(valueCoder, value))));
  }

  @Override
  public ReadableState<Boolean> isEmpty() {
    return deferred(() -> !hasEntry(entryKey -> true));
  }

  /** {@code convert(encoded map key, encoded value)} of every mapping, in an unmodifiable list. */
  private <R> Iterable<R> collect(BiFunction<byte[], byte[], R> convert) {
    List<R> out = new ArrayList<>();
    store.cells.scanPrefix(
        key,
        (entryKey, value) -> {
          out.add(convert.apply(CellKeys.suffix(entryKey, key.length), value));
          return true;
        });
    return Collections.unmodifiableList(out);
  }
}
