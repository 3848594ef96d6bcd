package io.beamline.sdk.internal.exchange;

import io.beamline.sdk.internal.plan.ExchangeSpec;

import org.apache.beam.sdk.values.WindowedValue;

/**
 * What one task writes into one exchange: each element encoded by the exchange's {@link
 * ExchangeCodec} and routed to a partition of the consuming stage — by its encoded key for a keyed
 * exchange, the writer's own partition for a forward one. Engines say where records go ({@link
 * #emit}) and when they are handed over ({@link #flush}): the micro-batch runner buffers an
 * epoch's records, a continuous runner offers them to bounded queues.
 *
 * <p>Threading: confined to the writing task.
 */
public abstract class ExchangeWriter {
  /** Creates the writer of one task into one exchange. */
  @FunctionalInterface
  public interface Factory {
    /**
     * @param producer full name of the step whose output the writer carries, for error messages
     * @param partition the writing task's partition
     */
    ExchangeWriter create(ExchangeSpec spec, String producer, int partition);
  }

  private final ExchangeCodec codec;
  private final String producer;
  private final int ownPartition;
  private final int partitionCount;

  protected ExchangeWriter(
      ExchangeCodec codec, String producer, int ownPartition, int partitionCount) {
    this.codec = codec;
    this.producer = producer;
    this.ownPartition = ownPartition % partitionCount;
    this.partitionCount = partitionCount;
  }

  /** Writes an element; for keyed exchanges its value must be a {@code KV}. */
  public final void write(WindowedValue<?> value) {
    Object record = codec.encode(value, producer);
    if (record instanceof ExchangeCodec.KeyedRecord keyed) {
      emit(Partitioning.partitionOf(keyed.key(), partitionCount), keyed);
    } else {
      emit(ownPartition, record);
    }
  }

  /** Writes a keyed element whose encoded key the caller already has. */
  public final void writeKeyed(ByteKey key, WindowedValue<?> value) {
    emit(Partitioning.partitionOf(key, partitionCount), codec.encodeKeyed(key, value, producer));
  }

  /** Encodes a key as this writer's exchange does. */
  public final ByteKey encodeKey(Object key) {
    return codec.encodeKey(key, producer);
  }

  /** Sends one encoded record to partition {@code partition} of the consuming stage. */
  protected abstract void emit(int partition, Object record);

  /** Hands over whatever this writer still holds. */
  public abstract void flush();
}
