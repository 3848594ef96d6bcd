package io.beamline.sdk.internal.execution;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The in-memory buffer of one shuffle edge between two stages for one execution: {@code P}
 * partitions, each an append-only list of elements ({@link KeyedElement}s for keyed exchanges,
 * {@code WindowedValue}s otherwise).
 *
 * <p>Threading: producer tasks of the upstream stage call {@link #addAll} concurrently (each task
 * appends its locally buffered batch once per partition); consumer tasks of the downstream stage
 * call {@link #partition} only after every producer task has finished, which the stage barrier in
 * {@link PlanExecutor} guarantees.
 */
public final class Exchange {
  private final List<List<Object>> partitions;

  public Exchange(int partitionCount) {
    List<List<Object>> lists = new ArrayList<>(partitionCount);
    for (int i = 0; i < partitionCount; i++) {
      lists.add(new ArrayList<>());
    }
    this.partitions = lists;
  }

  public int partitionCount() {
    return partitions.size();
  }

  /** Appends a batch produced by one task to partition {@code partition}. */
  public void addAll(int partition, List<Object> batch) {
    List<Object> target = partitions.get(partition);
    synchronized (target) {
      target.addAll(batch);
    }
  }

  /** The elements of one partition; call only after all producers finished. */
  public List<Object> partition(int partition) {
    return Collections.unmodifiableList(partitions.get(partition));
  }
}
