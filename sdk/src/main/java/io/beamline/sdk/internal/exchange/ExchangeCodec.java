package io.beamline.sdk.internal.exchange;

import io.beamline.sdk.internal.plan.ExchangeSpec;

import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Encodes elements crossing an exchange with their coders, and decodes them on the other side:
 * every element travels as the bytes of the exchange's {@code WindowedValue} coder, and a keyed
 * exchange also carries the bytes of the element's key ({@link ByteKey}), by which it is routed
 * and grouped. A coder that fails fails the run with both steps named; nothing passes silently.
 *
 * <p>Immutable and thread-safe (Beam coders are).
 */
public final class ExchangeCodec {
  /** A keyed element in the shuffle: the encoded key and the encoded {@code WindowedValue}. */
  public record KeyedRecord(ByteKey key, byte[] element) {}

  private final ExchangeSpec spec;
  private final Coder<Object> elementCoder;
  private final Coder<Object> keyCoder;

  @SuppressWarnings("unchecked")
  public ExchangeCodec(ExchangeSpec spec) {
    this.spec = spec;
    this.elementCoder = (Coder<Object>) spec.elementCoder();
    this.keyCoder = (Coder<Object>) spec.keyCoder();
  }

  public ExchangeSpec spec() {
    return spec;
  }

  /**
   * The record for {@code value}: a {@link KeyedRecord} for a keyed exchange (whose elements are
   * {@code KV}s), else the encoded element.
   *
   * @param producer full name of the step that output {@code value}, for the error message
   * @throws ExchangeCodingException if a coder fails
   */
  public Object encode(WindowedValue<?> value, String producer) {
    byte[] element = encodeElement(value, producer);
    return keyCoder == null ? element : new KeyedRecord(keyOf(value, producer), element);
  }

  /** The record for a keyed element whose encoded key the caller already has. */
  public KeyedRecord encodeKeyed(ByteKey key, WindowedValue<?> value, String producer) {
    return new KeyedRecord(key, encodeElement(value, producer));
  }

  /**
   * The encoded key of a {@code KV} element.
   *
   * @throws ExchangeCodingException if the key coder fails
   */
  public ByteKey keyOf(WindowedValue<?> value, String producer) {
    return encodeKey(((KV<?, ?>) value.getValue()).getKey(), producer);
  }

  /**
   * The encoded form of {@code key}.
   *
   * @throws ExchangeCodingException if the key coder fails
   */
  public ByteKey encodeKey(Object key, String producer) {
    try {
      return new ByteKey(CoderUtils.encodeToByteArray(keyCoder, key));
    } catch (Exception e) {
      throw new ExchangeCodingException(
          String.format(
              "Key coder %s failed to encode a key output by '%s' into exchange %s: %s",
              keyCoder, producer, spec.name(), e),
          e);
    }
  }

  private byte[] encodeElement(WindowedValue<?> value, String producer) {
    try {
      return CoderUtils.encodeToByteArray(elementCoder, value);
    } catch (Exception e) {
      throw new ExchangeCodingException(
          String.format(
              "Coder %s failed to encode an element output by '%s' into exchange %s: %s",
              elementCoder, producer, spec.name(), e),
          e);
    }
  }

  /**
   * The element of a record: a {@link KeyedElement} for a keyed exchange, else a {@code
   * WindowedValue}.
   *
   * @throws ExchangeCodingException if the coder fails to decode it
   */
  public Object decode(Object record) {
    if (record instanceof KeyedRecord keyed) {
      return new KeyedElement(keyed.key(), decodeElement(keyed.element()));
    }
    return decodeElement((byte[]) record);
  }

  private WindowedValue<?> decodeElement(byte[] bytes) {
    try {
      return (WindowedValue<?>) CoderUtils.decodeFromByteArray(elementCoder, bytes);
    } catch (Exception e) {
      throw new ExchangeCodingException(
          String.format(
              "Coder %s failed to decode an element of exchange %s: %s",
              elementCoder, spec.name(), e),
          e);
    }
  }

  /** A coder failed on an element crossing an exchange. */
  public static final class ExchangeCodingException extends RuntimeException {
    ExchangeCodingException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
