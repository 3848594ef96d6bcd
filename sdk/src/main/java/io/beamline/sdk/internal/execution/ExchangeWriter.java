package io.beamline.sdk.internal.execution;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Buffers what one task writes into an {@link Exchange} and appends it when the task has
 * finished. Keyed exchanges route each {@code KV} by its key's structural value; forward exchanges
 * keep the writer's partition.
 *
 * <p>Threading: confined to one task.
 */
public final class ExchangeWriter {
  private final Exchange exchange;
  private final Coder<Object> keyCoder;
  private final int ownPartition;
  private final List<List<Object>> buffers;

  @SuppressWarnings("unchecked")
  ExchangeWriter(ExchangeSpec spec, Exchange exchange, int ownPartition) {
    this.exchange = exchange;
    this.keyCoder = (Coder<Object>) spec.keyCoder();
    this.ownPartition = ownPartition % exchange.partitionCount();
    this.buffers = new ArrayList<>(exchange.partitionCount());
    for (int i = 0; i < exchange.partitionCount(); i++) {
      buffers.add(new ArrayList<>());
    }
  }

  /** Writes an element; for keyed exchanges its value must be a {@code KV}. */
  public void write(WindowedValue<?> value) {
    if (keyCoder == null) {
      buffers.get(ownPartition).add(value);
    } else {
      Object structuralKey = keyCoder.structuralValue(((KV<?, ?>) value.getValue()).getKey());
      writeKeyed(structuralKey, value);
    }
  }

  /** Writes an element whose key's structural value the caller already computed. */
  public void writeKeyed(Object structuralKey, WindowedValue<?> value) {
    int partition = Partitioning.partitionOf(structuralKey, buffers.size());
    buffers.get(partition).add(new KeyedElement(structuralKey, value));
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
