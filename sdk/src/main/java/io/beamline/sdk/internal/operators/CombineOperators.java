package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.exchange.ByteKey;
import io.beamline.sdk.internal.exchange.ExchangeWriter;
import io.beamline.sdk.internal.exchange.KeyedElement;
import io.beamline.sdk.internal.plan.OperatorSpec;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;

/**
 * Combiner lifting for {@code Combine.perKey} over non-merging windows with the default trigger
 * (the case Beam's Direct and Flink batch runners lift too): a partial combine per task before the
 * shuffle, so only one accumulator per (key, window) and task crosses it, then a final merge after
 * it. Output timestamps follow the windowing strategy's {@link TimestampCombiner}; the single pane
 * per window is {@link PaneInfo#ON_TIME_AND_ONLY_FIRING}, as GroupByKey's would be in batch.
 */
final class CombineOperators {
  private CombineOperators() {}

  /** Accumulator of one (key, window) pair, with the combined output timestamp so far. */
  private static final class Slot {
    final Object key;
    Object accumulator;
    Instant timestamp;

    Slot(Object key, Object accumulator, Instant timestamp) {
      this.key = key;
      this.accumulator = accumulator;
      this.timestamp = timestamp;
    }
  }

  private record SlotKey(ByteKey key, BoundedWindow window) {}

  /** The partial half, fused into the producing stage; writes accumulators into the exchange. */
  static Operator partial(OperatorSpec.PartialCombine spec, TaskContext context) {
    return new Partial(spec, context);
  }

  /** The final half, at the receiving end of the keyed exchange. */
  static Operator finalHalf(OperatorSpec.FinalCombine spec, TaskContext context) {
    return new Final(spec, context);
  }

  /**
   * A (key, window) of the partial half, by the key's structural value: cheap for the common keys
   * (a coder consistent with equals returns the key itself), so the key is encoded once per slot at
   * the end of the bundle, not once per element. Two structural values encoding alike (a coder not
   * consistent with equals) give two accumulators of one encoded key, which the final half merges.
   */
  private record PartialKey(Object structuralKey, BoundedWindow window) {}

  private static final class Partial implements Operator {
    private final OperatorSpec.PartialCombine spec;
    private final TaskContext context;
    private final org.apache.beam.sdk.coders.Coder<Object> keyCoder;
    private final Map<PartialKey, Slot> slots = new HashMap<>();
    private ExchangeWriter writer;

    @SuppressWarnings("unchecked")
    Partial(OperatorSpec.PartialCombine spec, TaskContext context) {
      this.spec = spec;
      this.context = context;
      this.keyCoder = (org.apache.beam.sdk.coders.Coder<Object>) spec.exchange().keyCoder();
    }

    @Override
    public void open() {
      writer = context.exchangeWriter(spec.exchange(), spec.stepName());
    }

    @Override
    @SuppressWarnings("unchecked")
    public void processElement(Object element) throws Exception {
      WindowedValue<KV<Object, Object>> value = (WindowedValue<KV<Object, Object>>) element;
      Object key = value.getValue().getKey();
      Object structuralKey = keyCoder.structuralValue(key);
      try (var scope = context.scopedMetrics(spec.stepName())) {
        for (BoundedWindow window : value.getWindows()) {
          Instant timestamp = spec.timestampCombiner().assign(window, value.getTimestamp());
          PartialKey slotKey = new PartialKey(structuralKey, window);
          Slot slot = slots.get(slotKey);
          if (slot == null) {
            slot = new Slot(key, spec.fn().createAccumulator(), timestamp);
            slots.put(slotKey, slot);
          } else {
            slot.timestamp = spec.timestampCombiner().combine(slot.timestamp, timestamp);
          }
          slot.accumulator = spec.fn().addInput(slot.accumulator, value.getValue().getValue());
        }
      }
    }

    /** Writes one accumulator per (key, window) of the bundle into the shuffle. */
    @Override
    public void finishBundle() {
      for (Map.Entry<PartialKey, Slot> e : slots.entrySet()) {
        Slot slot = e.getValue();
        writer.write(
            WindowedValues.of(
                KV.of(slot.key, slot.accumulator),
                slot.timestamp,
                e.getKey().window(),
                PaneInfo.NO_FIRING));
      }
      slots.clear();
    }
  }

  private static final class Final implements Operator {
    private final OperatorSpec.FinalCombine spec;
    private final TaskContext context;
    private final Map<SlotKey, Slot> slots = new LinkedHashMap<>();

    Final(OperatorSpec.FinalCombine spec, TaskContext context) {
      this.spec = spec;
      this.context = context;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void processElement(Object element) throws Exception {
      KeyedElement keyed = (KeyedElement) element;
      WindowedValue<KV<Object, Object>> value = (WindowedValue<KV<Object, Object>>) keyed.value();
      BoundedWindow window = value.getWindows().iterator().next();
      SlotKey slotKey = new SlotKey(keyed.key(), window);
      Slot slot = slots.get(slotKey);
      if (slot == null) {
        slots.put(
            slotKey,
            new Slot(value.getValue().getKey(), value.getValue().getValue(), value.getTimestamp()));
      } else {
        try (var scope = context.scopedMetrics(spec.stepName())) {
          slot.accumulator =
              spec.fn().mergeAccumulators(List.of(slot.accumulator, value.getValue().getValue()));
        }
        slot.timestamp = spec.timestampCombiner().combine(slot.timestamp, value.getTimestamp());
      }
    }

    /** Emits every (key, window)'s result once the watermark reaches the end of the bounded run. */
    @Override
    public void advanceInputWatermark(Instant watermark) throws Exception {
      if (watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE) || slots.isEmpty()) {
        return;
      }
      Receiver output = context.receiver(spec.output());
      for (Map.Entry<SlotKey, Slot> e : slots.entrySet()) {
        Slot slot = e.getValue();
        Object result;
        try (var scope = context.scopedMetrics(spec.stepName())) {
          result = spec.fn().extractOutput(slot.accumulator);
        }
        output.accept(
            WindowedValues.of(
                KV.of(slot.key, result),
                slot.timestamp,
                e.getKey().window(),
                PaneInfo.ON_TIME_AND_ONLY_FIRING));
      }
      slots.clear();
    }
  }
}
