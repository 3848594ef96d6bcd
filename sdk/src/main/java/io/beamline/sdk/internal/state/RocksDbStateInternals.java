package io.beamline.sdk.internal.state;

import javax.annotation.Nullable;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTable;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.SetState;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.StateContext;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.CombineWithContext.CombineFnWithContext;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.CombineFnUtil;

/**
 * The {@link StateInternals} of one key of one operator instance in a {@link RocksDbStore}; made
 * by {@link RocksDbStore#stateInternals}. A cell is addressed by the namespace prefix, the
 * namespace's string key and the tag's id ({@link CellKeys#cell}); its {@code State} object is
 * created on first request with the coders of the tag's spec and cached here by namespace and tag
 * id, as in {@code InMemoryStateInternals}, so repeated requests return the same object.
 *
 * <p>Threading: one thread at a time.
 */
final class RocksDbStateInternals implements StateInternals {
  private final RocksDbStore store;
  private final byte[] namespacePrefix;
  private final byte[] holdGroup;
  private final @Nullable Object key;

  private final StateTable states =
      new StateTable() {
        @Override
        @SuppressWarnings("deprecation") // StateTable's API is StateTag.StateBinder
        protected StateTag.StateBinder binderForNamespace(
            StateNamespace namespace, StateContext<?> c) {
          return new Binder(namespace.stringKey(), c);
        }
      };

  RocksDbStateInternals(
      RocksDbStore store, byte[] namespacePrefix, byte[] holdGroup, @Nullable Object key) {
    this.store = store;
    this.namespacePrefix = namespacePrefix;
    this.holdGroup = holdGroup;
    this.key = key;
  }

  @Override
  public @Nullable Object getKey() {
    return key;
  }

  @Override
  public <T extends State> T state(
      StateNamespace namespace, StateTag<T> address, StateContext<?> c) {
    return states.get(namespace, address, c);
  }

  /** Creates the cells of one namespace. */
  @SuppressWarnings("deprecation") // StateTag.StateBinder is what StateTag.bind accepts
  private final class Binder implements StateTag.StateBinder {
    private final String namespaceKey;
    private final StateContext<?> context;

    Binder(String namespaceKey, StateContext<?> context) {
      this.namespaceKey = namespaceKey;
      this.context = context;
    }

    private byte[] cellKey(StateTag<?> tag) {
      return CellKeys.cell(namespacePrefix, namespaceKey, tag.getId());
    }

    @Override
    public <T> ValueState<T> bindValue(StateTag<ValueState<T>> spec, Coder<T> coder) {
      return new ValueCell<>(store, cellKey(spec), coder);
    }

    @Override
    public <T> BagState<T> bindBag(StateTag<BagState<T>> spec, Coder<T> elemCoder) {
      return new BagCell<>(store, cellKey(spec), elemCoder);
    }

    @Override
    public <T> SetState<T> bindSet(StateTag<SetState<T>> spec, Coder<T> elemCoder) {
      return new SetCell<>(store, cellKey(spec), elemCoder);
    }

    @Override
    public <KeyT, ValueT> MapState<KeyT, ValueT> bindMap(
        StateTag<MapState<KeyT, ValueT>> spec,
        Coder<KeyT> mapKeyCoder,
        Coder<ValueT> mapValueCoder) {
      return new MapCell<>(store, cellKey(spec), mapKeyCoder, mapValueCoder);
    }

    @Override
    public <KeyT, ValueT> MultimapState<KeyT, ValueT> bindMultimap(
        StateTag<MultimapState<KeyT, ValueT>> spec,
        Coder<KeyT> keyCoder,
        Coder<ValueT> valueCoder) {
      return new MultimapCell<>(store, cellKey(spec), keyCoder, valueCoder);
    }

    @Override
    public <T> OrderedListState<T> bindOrderedList(
        StateTag<OrderedListState<T>> spec, Coder<T> elemCoder) {
      return new OrderedListCell<>(store, cellKey(spec), elemCoder);
    }

    @Override
    public <InputT, AccumT, OutputT> CombiningState<InputT, AccumT, OutputT> bindCombiningValue(
        StateTag<CombiningState<InputT, AccumT, OutputT>> spec,
        Coder<AccumT> accumCoder,
        CombineFn<InputT, AccumT, OutputT> combineFn) {
      return new CombiningCell<>(store, cellKey(spec), accumCoder, combineFn);
    }

    /** As {@link #bindCombiningValue}, with the function bound to the request's context. */
    @Override
    public <InputT, AccumT, OutputT>
        CombiningState<InputT, AccumT, OutputT> bindCombiningValueWithContext(
            StateTag<CombiningState<InputT, AccumT, OutputT>> spec,
            Coder<AccumT> accumCoder,
            CombineFnWithContext<InputT, AccumT, OutputT> combineFn) {
      return bindCombiningValue(spec, accumCoder, CombineFnUtil.bindContext(combineFn, context));
    }

    @Override
    public WatermarkHoldState bindWatermark(
        StateTag<WatermarkHoldState> spec, TimestampCombiner timestampCombiner) {
      return new WatermarkHoldCell(store, cellKey(spec), holdGroup, timestampCombiner);
    }
  }
}
