package io.beamline.sdk.internal.execution;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * What one task writes into an {@link Exchange}: each element encoded by the exchange's {@link
 * ExchangeCodec}, buffered per destination partition and appended when the task flushes. Keyed
 * exchanges route each element by its encoded key; forward exchanges keep the writer's partition.
 *
 * <p>Threading: confined to one task.
 */
public final class ExchangeWriter {
  private final Exchange exchange;
  private final ExchangeCodec codec;
  private final String producer;
  private final int ownPartition;
  private final List<List<Object>> buffers;

  /**
   * @param producer full name of the step whose output this writer carries, for error messages
   */
  ExchangeWriter(Exchange exchange, String producer, int ownPartition) {
    this.exchange = exchange;
    this.codec = exchange.codec();
    this.producer = producer;
    this.ownPartition = ownPartition % exchange.partitionCount();
    this.buffers = new ArrayList<>(exchange.partitionCount());
    for (int i = 0; i < exchange.partitionCount(); i++) {
      buffers.add(new ArrayList<>());
    }
  }

  /** Writes an element; for keyed exchanges its value must be a {@code KV}. */
  public void write(WindowedValue<?> value) {
    Object record = codec.encode(value, producer);
    if (record instanceof ExchangeCodec.KeyedRecord keyed) {
      buffers.get(Partitioning.partitionOf(keyed.key(), buffers.size())).add(keyed);
    } else {
      buffers.get(ownPartition).add(record);
    }
  }

  /** Writes a keyed element whose encoded key the caller already has. */
  public void writeKeyed(ByteKey key, WindowedValue<?> value) {
    buffers
        .get(Partitioning.partitionOf(key, buffers.size()))
        .add(codec.encodeKeyed(key, value, producer));
  }

  /** Encodes a key as this writer's exchange does. */
  public ByteKey encodeKey(Object key) {
    return codec.encodeKey(key, producer);
  }

  void flush() {
    for (int i = 0; i < buffers.size(); i++) {
      if (!buffers.get(i).isEmpty()) {
        exchange.addAll(i, buffers.get(i));
        buffers.set(i, new ArrayList<>());
      }
    }
  }
}
