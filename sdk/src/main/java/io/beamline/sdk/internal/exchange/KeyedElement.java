package io.beamline.sdk.internal.exchange;

import org.apache.beam.sdk.values.WindowedValue;

/**
 * An element at the receiving end of a keyed exchange: its encoded key, by which equal keys are
 * grouped (see {@link ByteKey}), and the decoded element, whose value is a {@code KV}.
 *
 * @param key the encoded key, never null
 * @param value the {@code WindowedValue<KV<K, V>>} that was shuffled
 */
public record KeyedElement(ByteKey key, WindowedValue<?> value) {}
