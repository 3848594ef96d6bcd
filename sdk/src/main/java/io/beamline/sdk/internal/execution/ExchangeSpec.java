package io.beamline.sdk.internal.execution;

import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.Coder;

/**
 * A shuffle edge between stages.
 *
 * <ul>
 *   <li>Keyed ({@link #keyCoder()} non-null): every element is a {@code KV}; it is routed to the
 *       partition of its key's structural value and carried as a {@link KeyedElement}. Feeds
 *       GroupByKey, stateful ParDo and the final half of a lifted Combine.
 *   <li>Forward ({@link #keyCoder()} null): elements keep the partition of the task that produced
 *       them. Materialises the input of Flatten and of ParDos that read side inputs.
 * </ul>
 *
 * @param id unique within a plan
 * @param name human-readable, e.g. {@code "GroupByKey.input"}
 * @param keyCoder coder of the key for keyed exchanges, else null
 */
public record ExchangeSpec(int id, String name, @Nullable Coder<?> keyCoder) {

  public boolean isKeyed() {
    return keyCoder != null;
  }
}
