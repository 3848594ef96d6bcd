package io.beamline.sdk.internal.state;

import java.util.Arrays;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/**
 * A {@link CombiningState}: one entry, the encoded accumulator, under the cell key; absent means
 * empty (the {@code CombineFn}'s fresh accumulator).
 */
final class CombiningCell<InputT, AccumT, OutputT> extends Cell
    implements CombiningState<InputT, AccumT, OutputT> {
  private final Coder<AccumT> accumCoder;
  private final CombineFn<InputT, AccumT, OutputT> combineFn;

  CombiningCell(
      RocksDbStore store,
      byte[] key,
      Coder<AccumT> accumCoder,
      CombineFn<InputT, AccumT, OutputT> combineFn) {
    super(store, key);
    this.accumCoder = accumCoder;
    this.combineFn = combineFn;
  }

  @Override
  public void add(InputT value) {
    store.cells.put(key, encode(accumCoder, combineFn.addInput(getAccum(), value)));
  }

  @Override
  public void addAccum(AccumT accum) {
    AccumT merged = combineFn.mergeAccumulators(Arrays.asList(getAccum(), accum));
    store.cells.put(key, encode(accumCoder, merged));
  }

  /** The stored accumulator, decoded afresh (so callers may mutate it), or a new one if empty. */
  @Override
  public AccumT getAccum() {
    byte[] bytes = store.cells.get(key);
    return bytes == null ? combineFn.createAccumulator() : decode(accumCoder, bytes);
  }

  @Override
  public AccumT mergeAccumulators(Iterable<AccumT> accumulators) {
    return combineFn.mergeAccumulators(accumulators);
  }

  @Override
  public OutputT read() {
    return combineFn.extractOutput(getAccum());
  }

  @Override
  public ReadableState<Boolean> isEmpty() {
    return deferred(() -> store.cells.get(key) == null);
  }

  @Override
  public CombiningCell<InputT, AccumT, OutputT> readLater() {
    return this;
  }

  @Override
  public void clear() {
    store.cells.delete(key);
  }
}
