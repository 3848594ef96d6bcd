package io.beamline.sdk.internal.state;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.annotation.Nullable;
import org.joda.time.Instant;

/**
 * Byte layouts of the RocksDB keys of state cells. All integers are big-endian so that RocksDB's
 * bytewise order is their numeric order.
 *
 * <pre>
 * cell key      = namespacePrefix | u32 len | namespace.stringKey() UTF-8 | u32 len | tag id UTF-8
 * value, combining, watermark hold:   cell key                         → encoded value
 * bag:          counter: cell key → u64 next seq;  element: cell key | u64 seq → element
 * set:          cell key | encoded element → (empty)
 * map:          cell key | encoded map key → encoded value
 * multimap:     counter: cell key | u32 len | encoded key → u64 next seq
 *               element: cell key | u32 len | encoded key | u64 seq → value
 * ordered list: counter: cell key → u64 next seq; element: cell key | ts | u64 seq → element
 * hold index (own column family):
 *               hold group | ts | cell key → (empty)
 *               (hold group: 8 bytes the caller gives with the key's state, by default
 *               namespacePrefix[0, 8), the operator prefix)
 * </pre>
 *
 * <p>{@code ts} is a timestamp in epoch milliseconds with its sign bit flipped ({@link
 * #timestamp}), so negative instants sort before positive ones. Because both strings of the cell
 * key are length-prefixed, no cell key of one namespace prefix is a prefix of another's, so a
 * range scan over {@code [cellKey, prefixEnd(cellKey))} sees exactly one cell.
 */
final class CellKeys {
  /** Bytes of an encoded {@link #timestamp} or sequence number. */
  static final int LONG_BYTES = Long.BYTES;

  private CellKeys() {}

  /** The key of the cell {@code tagId} in {@code namespaceKey} under {@code namespacePrefix}. */
  static byte[] cell(byte[] namespacePrefix, String namespaceKey, String tagId) {
    byte[] namespace = namespaceKey.getBytes(StandardCharsets.UTF_8);
    byte[] tag = tagId.getBytes(StandardCharsets.UTF_8);
    return concat(namespacePrefix, lengthPrefixed(namespace), lengthPrefixed(tag));
  }

  /** {@code bytes} preceded by their length as a big-endian 32-bit integer. */
  static byte[] lengthPrefixed(byte[] bytes) {
    byte[] out = new byte[Integer.BYTES + bytes.length];
    out[0] = (byte) (bytes.length >>> 24);
    out[1] = (byte) (bytes.length >>> 16);
    out[2] = (byte) (bytes.length >>> 8);
    out[3] = (byte) bytes.length;
    System.arraycopy(bytes, 0, out, Integer.BYTES, bytes.length);
    return out;
  }

  /** Reads the big-endian 32-bit integer at {@code offset}. */
  static int readInt(byte[] bytes, int offset) {
    return ((bytes[offset] & 0xFF) << 24)
        | ((bytes[offset + 1] & 0xFF) << 16)
        | ((bytes[offset + 2] & 0xFF) << 8)
        | (bytes[offset + 3] & 0xFF);
  }

  /** {@code value} as 8 big-endian bytes. */
  static byte[] longBytes(long value) {
    byte[] out = new byte[LONG_BYTES];
    for (int i = LONG_BYTES - 1; i >= 0; i--) {
      out[i] = (byte) value;
      value >>>= 8;
    }
    return out;
  }

  /** Reads 8 big-endian bytes at {@code offset}. */
  static long readLong(byte[] bytes, int offset) {
    long value = 0;
    for (int i = 0; i < LONG_BYTES; i++) {
      value = (value << 8) | (bytes[offset + i] & 0xFF);
    }
    return value;
  }

  /** {@code instant} as 8 bytes whose unsigned bytewise order is the instants' order. */
  static byte[] timestamp(Instant instant) {
    return longBytes(instant.getMillis() ^ Long.MIN_VALUE);
  }

  /** Reads a {@link #timestamp} at {@code offset}. */
  static Instant readTimestamp(byte[] bytes, int offset) {
    return Instant.ofEpochMilli(readLong(bytes, offset) ^ Long.MIN_VALUE);
  }

  /**
   * The smallest key greater than every key that starts with {@code prefix}, or null if there is
   * none (the prefix is empty or all {@code 0xFF}).
   */
  static @Nullable byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xFF) {
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
      }
    }
    return null;
  }

  /** True if {@code key} starts with {@code prefix}. */
  static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** {@code key} without its first {@code prefixLength} bytes. */
  static byte[] suffix(byte[] key, int prefixLength) {
    return Arrays.copyOfRange(key, prefixLength, key.length);
  }

  /** The parts one after another. */
  static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] out = new byte[length];
    int offset = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, offset, part.length);
      offset += part.length;
    }
    return out;
  }
}
