package io.beamline.sdk.internal.exchange;

import java.util.Arrays;

/**
 * A key as the shuffle sees it: the bytes its coder encodes it to. Keys are routed and grouped by
 * these bytes, as Flink and Spark do, so two keys are the same key exactly when their encodings
 * are equal (Beam requires key coders of GroupByKey and stateful ParDo to be deterministic, so this
 * is the key equality Beam defines).
 *
 * <p>Immutable; the hash is computed once.
 */
public final class ByteKey {
  private final byte[] bytes;
  private final int hash;

  /** Wraps {@code bytes}, which must not be modified afterwards. */
  public ByteKey(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
  }

  /** The encoded key; do not modify. */
  public byte[] bytes() {
    return bytes;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ByteKey key && key.hash == hash && Arrays.equals(key.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return bytes.length <= 16 ? "ByteKey" + Arrays.toString(bytes) : "ByteKey[" + bytes.length + " bytes]";
  }
}
