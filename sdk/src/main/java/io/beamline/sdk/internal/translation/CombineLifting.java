package io.beamline.sdk.internal.translation;

import com.google.common.collect.Iterables;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * When a {@code Combine.perKey} is lifted in a bounded run: combined partially before the shuffle
 * (per bundle, by key and window) and finally after it, so that only accumulators are shuffled. A
 * Combine is lifted when it has no side inputs, its CombineFn is a plain {@link
 * Combine.CombineFn} with an accumulator coder, and its input's windowing has a non-merging
 * WindowFn and the default trigger.
 */
final class CombineLifting {
  private CombineLifting() {}

  /** Whether the Combine.perKey applied at {@code node} is lifted. */
  static boolean isLiftable(TransformHierarchy.Node node, CoderRegistry coders) {
    if (!(node.getTransform() instanceof Combine.PerKey<?, ?, ?> perKey)
        || !perKey.getSideInputs().isEmpty()
        || !(perKey.getFn() instanceof Combine.CombineFn)) {
      return false;
    }
    PCollection<?> input = onlyInput(node);
    WindowingStrategy<?, ?> strategy = input.getWindowingStrategy();
    return input.getCoder() instanceof KvCoder
        && strategy.getWindowFn().isNonMerging()
        && strategy.getTrigger() instanceof DefaultTrigger
        && accumulatorCoder(node, coders) != null;
  }

  /**
   * The coder of the accumulators a lifted {@code Combine.perKey} shuffles, or null if the
   * CombineFn cannot provide one (then the Combine is not lifted: its expansion runs instead).
   */
  @SuppressWarnings("unchecked")
  static @Nullable Coder<?> accumulatorCoder(TransformHierarchy.Node node, CoderRegistry coders) {
    Combine.CombineFn<Object, Object, Object> fn =
        (Combine.CombineFn<Object, Object, Object>)
            ((Combine.PerKey<?, ?, ?>) node.getTransform()).getFn();
    KvCoder<?, ?> kvCoder = (KvCoder<?, ?>) onlyInput(node).getCoder();
    try {
      return fn.getAccumulatorCoder(coders, (Coder<Object>) kvCoder.getValueCoder());
    } catch (CannotProvideCoderException e) {
      return null;
    }
  }

  private static PCollection<?> onlyInput(TransformHierarchy.Node node) {
    return (PCollection<?>) Iterables.getOnlyElement(node.getInputs().values());
  }
}
