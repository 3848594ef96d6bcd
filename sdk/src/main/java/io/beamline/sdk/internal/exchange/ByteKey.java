package io.beamline.sdk.internal.exchange;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import java.util.Arrays;

/**
 * A key as the shuffle sees it: the bytes its coder encodes it to. Keys are routed and grouped by
 * these bytes, as Flink and Spark do, so two keys are the same key exactly when their encodings
 * are equal (Beam requires key coders of GroupByKey and stateful ParDo to be deterministic, so this
 * is the key equality Beam defines).
 *
 * <p>The hash is MurmurHash3 (32-bit) of the bytes, not {@link Arrays#hashCode(byte[])}: the latter
 * is linear in the bytes, so short encodings collide in bulk (the 100,000 VarLong encodings of 0 to
 * 99,999 have 25,368 distinct {@code Arrays.hashCode}s), which turns hash map buckets into trees.
 *
 * <p>Immutable; the hash is computed once.
 */
public final class ByteKey {
  private static final HashFunction HASH = Hashing.murmur3_32_fixed();

  private final byte[] bytes;
  private final int hash;

  /** Wraps {@code bytes}, which must not be modified afterwards. */
  public ByteKey(byte[] bytes) {
    this.bytes = bytes;
    this.hash = HASH.hashBytes(bytes).asInt();
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
