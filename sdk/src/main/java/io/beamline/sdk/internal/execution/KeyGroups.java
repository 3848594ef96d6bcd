package io.beamline.sdk.internal.execution;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Groups the {@link KeyedElement}s of one exchange partition by key, keeping first-seen order of
 * keys and arrival order of values. Used by the operators at the receiving end of keyed exchanges.
 */
final class KeyGroups {
  /** The elements of one key: the first key object seen and every element with that key. */
  static final class Group {
    final Object structuralKey;
    final Object key;
    final List<WindowedValue<KV<Object, Object>>> elements = new ArrayList<>();

    Group(Object structuralKey, Object key) {
      this.structuralKey = structuralKey;
      this.key = key;
    }
  }

  private final Map<Object, Group> groups = new LinkedHashMap<>();

  @SuppressWarnings("unchecked")
  void add(Object element) {
    KeyedElement keyed = (KeyedElement) element;
    WindowedValue<KV<Object, Object>> value = (WindowedValue<KV<Object, Object>>) keyed.value();
    groups
        .computeIfAbsent(keyed.structuralKey(), k -> new Group(k, value.getValue().getKey()))
        .elements
        .add(value);
  }

  Iterable<Group> groups() {
    return groups.values();
  }
}
