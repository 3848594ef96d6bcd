package io.beamline.sdk.internal.execution;

import org.apache.beam.sdk.values.WindowedValue;

/**
 * An element in a keyed exchange: the structural value of its key (as returned by {@link
 * org.apache.beam.sdk.coders.Coder#structuralValue}, so equal keys are {@code equals} even when the
 * key type does not implement it) and the element itself, whose value is a {@code KV}.
 *
 * @param structuralKey grouping key, never null
 * @param value the {@code WindowedValue<KV<K, V>>} being shuffled
 */
public record KeyedElement(Object structuralKey, WindowedValue<?> value) {}
