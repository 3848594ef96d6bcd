package io.beamline.sdk.internal.plan;


import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * A shuffle edge between stages.
 *
 * <ul>
 *   <li>Keyed ({@link #keyCoder()} non-null): every element is a {@code KV}; it is routed to the
 *       partition of its key's structural value and carried as a {@code KeyedElement}. Feeds
 *       GroupByKey, stateful ParDo and the final half of a lifted Combine.
 *   <li>Forward ({@link #keyCoder()} null): elements keep the partition of the task that produced
 *       them. Materialises the input of Flatten and of ParDos that read side inputs.
 * </ul>
 *
 * @param id unique within a plan
 * @param name human-readable, e.g. {@code "GroupByKey.input"}
 * @param keyCoder coder of the key for keyed exchanges, else null
 * @param elementCoder full {@code WindowedValue} coder of the elements written into the exchange
 *     (its window coder is the consumer's); used to snapshot elements and timers held across epochs
 */
public record ExchangeSpec(
    int id, String name, @Nullable Coder<?> keyCoder, Coder<?> elementCoder) {

  /** The window coder of the exchange's elements. */
  public Coder<? extends BoundedWindow> windowCoder() {
    return ((WindowedValues.FullWindowedValueCoder<?>) elementCoder).getWindowCoder();
  }

  public boolean isKeyed() {
    return keyCoder != null;
  }
}
