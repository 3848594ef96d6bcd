package io.beamline.sdk.internal.state;

import static com.google.common.base.Preconditions.checkState;

import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.util.CoderUtils;

/**
 * Base of the state cells of a {@link RocksDbStateInternals}: where the cell lives and how values
 * are encoded. Cells keep no contents in memory, so every read sees every earlier write.
 *
 * <p>Threading: like the {@code StateInternals} that made it, used by one thread at a time.
 */
abstract class Cell {
  static final byte[] EMPTY = new byte[0];

  final RocksDbStore store;
  /** The cell key ({@link CellKeys#cell}); the cell's entries are this key or start with it. */
  final byte[] key;

  Cell(RocksDbStore store, byte[] key) {
    this.store = store;
    this.key = key;
  }

  /** Deletes every entry of this cell. */
  public void clear() {
    clearPrefix(key);
  }

  /** Deletes every entry whose key starts with {@code prefix}, which starts with {@link #key}. */
  final void clearPrefix(byte[] prefix) {
    byte[] end = CellKeys.prefixEnd(prefix);
    // A cell key contains the 0x00 high byte of a string length, so it always has a successor.
    checkState(end != null, "a key starting with a cell key has a successor");
    store.cells.clear(prefix, end);
  }

  /** True if an entry of this cell has a RocksDB key that {@code accept} accepts. */
  final boolean hasEntry(Predicate<byte[]> accept) {
    boolean[] found = {false};
    store.cells.scanPrefix(
        key,
        (entryKey, value) -> {
          found[0] = accept.test(entryKey);
          return !found[0];
        });
    return found[0];
  }

  /**
   * {@code value} encoded with {@code coder} (outer context).
   *
   * @throws IllegalArgumentException if the coder cannot encode it
   */
  static <T> byte[] encode(Coder<T> coder, T value) {
    try {
      return CoderUtils.encodeToByteArray(coder, value);
    } catch (CoderException e) {
      throw new IllegalArgumentException("Cannot encode a state value with " + coder, e);
    }
  }

  /**
   * {@code bytes} decoded with {@code coder}.
   *
   * @throws IllegalStateException if they do not decode, e.g. because the state declaration's
   *     coder changed since they were written
   */
  static <T> T decode(Coder<T> coder, byte[] bytes) {
    try {
      return CoderUtils.decodeFromByteArray(coder, bytes);
    } catch (CoderException e) {
      throw new IllegalStateException("Cannot decode a stored state value with " + coder, e);
    }
  }

  /** A {@link ReadableState} that evaluates {@code read} each time it is read. */
  static <T> ReadableState<T> deferred(Supplier<T> read) {
    return new ReadableState<T>() {
      @Override
      public T read() {
        return read.get();
      }

      @Override
      public ReadableState<T> readLater() {
        return this;
      }
    };
  }
}
