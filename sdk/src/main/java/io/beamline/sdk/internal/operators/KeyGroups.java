package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.exchange.ByteKey;
import io.beamline.sdk.internal.exchange.KeyedElement;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Groups {@link KeyedElement}s by encoded key, keeping first-seen order of keys and arrival order
 * of values: what keyed operators buffer within a bundle.
 */
final class KeyGroups {
  /** The elements of one key: its encoded form, the first key object seen, every element. */
  static final class Group {
    final ByteKey encodedKey;
    final Object key;
    final List<WindowedValue<KV<Object, Object>>> elements = new ArrayList<>();

    Group(ByteKey encodedKey, Object key) {
      this.encodedKey = encodedKey;
      this.key = key;
    }
  }

  private final Map<ByteKey, Group> groups = new LinkedHashMap<>();

  @SuppressWarnings("unchecked")
  void add(Object element) {
    KeyedElement keyed = (KeyedElement) element;
    WindowedValue<KV<Object, Object>> value = (WindowedValue<KV<Object, Object>>) keyed.value();
    groups
        .computeIfAbsent(keyed.key(), k -> new Group(k, value.getValue().getKey()))
        .elements
        .add(value);
  }

  boolean isEmpty() {
    return groups.isEmpty();
  }

  Iterable<Group> groups() {
    return groups.values();
  }

  /** Forgets every group (the buffer of the next bundle starts empty). */
  void clear() {
    groups.clear();
  }
}
