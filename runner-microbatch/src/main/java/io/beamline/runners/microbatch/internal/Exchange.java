package io.beamline.runners.microbatch.internal;

import io.beamline.sdk.internal.exchange.ExchangeCodec;
import io.beamline.sdk.internal.exchange.ExchangeWriter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The in-memory buffer of one shuffle edge between two stages for one epoch: {@code P} partitions,
 * each an append-only list of encoded records ({@link ExchangeCodec}): {@code KeyedRecord}s for
 * keyed exchanges, {@code byte[]} otherwise. Consumers decode them with {@link #codec()}.
 *
 * <p>Threading: producer tasks of the upstream stage flush their writers concurrently (each task
 * appends its locally buffered batch once per partition); consumer tasks of the downstream stage
 * call {@link #partition} only after every producer task has finished, which the stage barrier
 * guarantees; {@link #clear()} runs between stages.
 */
public final class Exchange {
  private final ExchangeCodec codec;
  private final List<List<Object>> partitions;

  public Exchange(ExchangeCodec codec, int partitionCount) {
    this.codec = codec;
    List<List<Object>> lists = new ArrayList<>(partitionCount);
    for (int i = 0; i < partitionCount; i++) {
      lists.add(new ArrayList<>());
    }
    this.partitions = lists;
  }

  public ExchangeCodec codec() {
    return codec;
  }

  public int partitionCount() {
    return partitions.size();
  }

  /** A writer for one producing task: buffers per partition, appends on {@code flush}. */
  public ExchangeWriter writer(String producer, int ownPartition) {
    return new ExchangeWriter(codec, producer, ownPartition, partitions.size()) {
      private final List<List<Object>> buffers = newBuffers(partitions.size());

      @Override
      protected void emit(int partition, Object record) {
        buffers.get(partition).add(record);
      }

      @Override
      public void flush() {
        for (int i = 0; i < buffers.size(); i++) {
          if (!buffers.get(i).isEmpty()) {
            addAll(i, buffers.get(i));
            buffers.set(i, new ArrayList<>());
          }
        }
      }
    };
  }

  private static List<List<Object>> newBuffers(int count) {
    List<List<Object>> buffers = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      buffers.add(new ArrayList<>());
    }
    return buffers;
  }

  private void addAll(int partition, List<Object> batch) {
    List<Object> target = partitions.get(partition);
    synchronized (target) {
      target.addAll(batch);
    }
  }

  /** Empties every partition once its consumer has read it (the next epoch's records follow). */
  public void clear() {
    for (List<Object> partition : partitions) {
      synchronized (partition) {
        partition.clear();
      }
    }
  }

  /** The encoded records of one partition; call only after all producers finished. */
  public List<Object> partition(int partition) {
    return Collections.unmodifiableList(partitions.get(partition));
  }
}
