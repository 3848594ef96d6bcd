package io.beamline.sdk.internal.state;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.SetState;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.CombineWithContext;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TimestampedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Encodes the contents of one state cell with the coders its {@link StateTag} declares, and writes
 * decoded contents back into a fresh cell through Beam's state API. This is how heap state is
 * snapshotted: the coders are learnt by binding the tag to a {@link StateTag.StateBinder} that only
 * records them, so every kind of state Beam has (value, bag, set, map, multimap, ordered list,
 * combining, watermark hold) round-trips without knowing the DoFn.
 *
 * <p>Encoded form: the cell's contents as one value of a {@link ListCoder} (elements, entries as
 * {@code KV}s, timestamped values as {@code KV<Instant, T>}) or of the value/accumulator coder.
 */
final class StateCells {
  private StateCells() {}

  /** The kind of a cell and the coder of its encoded contents. */
  private record Shape(Kind kind, Coder<Object> coder) {}

  private enum Kind {
    VALUE,
    BAG,
    SET,
    MAP,
    MULTIMAP,
    ORDERED_LIST,
    COMBINING,
    WATERMARK_HOLD
  }

  /**
   * Encodes the contents of {@code state}, bound from {@code tag}; null if the cell is empty (a
   * cleared or never written cell need not be restored).
   *
   * @throws IOException if a coder fails
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static byte @Nullable [] encode(StateTag<?> tag, State state) throws IOException {
    Shape shape = shapeOf(tag);
    Object contents;
    switch (shape.kind) {
      case VALUE:
        Object value = ((ValueState) state).read();
        contents = value == null ? null : List.of(value);
        break;
      case BAG:
        contents = nonEmpty((Iterable<?>) ((BagState) state).read());
        break;
      case SET:
        contents = nonEmpty((Iterable<?>) ((SetState) state).read());
        break;
      case MAP:
        contents = entries((Iterable<?>) ((MapState) state).entries().read());
        break;
      case MULTIMAP:
        contents = entries((Iterable<?>) ((MultimapState) state).entries().read());
        break;
      case ORDERED_LIST:
        List<Object> timestamped = new ArrayList<>();
        for (Object tv : ((OrderedListState<Object>) state).read()) {
          TimestampedValue<Object> v = (TimestampedValue<Object>) tv;
          timestamped.add(KV.of(v.getTimestamp(), v.getValue()));
        }
        contents = timestamped.isEmpty() ? null : timestamped;
        break;
      case COMBINING:
        CombiningState combining = (CombiningState) state;
        contents = Boolean.TRUE.equals(combining.isEmpty().read()) ? null : combining.getAccum();
        break;
      case WATERMARK_HOLD:
        contents = ((WatermarkHoldState) state).read();
        break;
      default:
        throw new IllegalStateException("Unknown state kind " + shape.kind);
    }
    if (contents == null) {
      return null;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    shape.coder.encode(contents, bytes);
    return bytes.toByteArray();
  }

  /**
   * Writes {@code encoded} (from {@link #encode}) into the fresh, empty cell {@code state}.
   *
   * @throws IOException if the bytes do not decode with the tag's coders (a changed state
   *     declaration)
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static void restore(StateTag<?> tag, State state, byte[] encoded) throws IOException {
    Shape shape = shapeOf(tag);
    Object contents = shape.coder.decode(new ByteArrayInputStream(encoded));
    switch (shape.kind) {
      case VALUE:
        ((ValueState) state).write(((List<?>) contents).get(0));
        break;
      case BAG:
        ((List<?>) contents).forEach(((BagState) state)::add);
        break;
      case SET:
        ((List<?>) contents).forEach(((SetState) state)::add);
        break;
      case MAP:
        for (KV<Object, Object> kv : (List<KV<Object, Object>>) contents) {
          ((MapState) state).put(kv.getKey(), kv.getValue());
        }
        break;
      case MULTIMAP:
        for (KV<Object, Object> kv : (List<KV<Object, Object>>) contents) {
          ((MultimapState) state).put(kv.getKey(), kv.getValue());
        }
        break;
      case ORDERED_LIST:
        for (KV<Instant, Object> kv : (List<KV<Instant, Object>>) contents) {
          ((OrderedListState) state).add(TimestampedValue.of(kv.getValue(), kv.getKey()));
        }
        break;
      case COMBINING:
        ((CombiningState) state).addAccum(contents);
        break;
      case WATERMARK_HOLD:
        ((WatermarkHoldState) state).add((Instant) contents);
        break;
      default:
        throw new IllegalStateException("Unknown state kind " + shape.kind);
    }
  }

  /** Decodes a watermark hold without its tag (holds are encoded with {@link InstantCoder}). */
  static Instant decodeHold(byte[] encoded) throws IOException {
    return InstantCoder.of().decode(new ByteArrayInputStream(encoded));
  }

  private static @Nullable List<Object> nonEmpty(Iterable<?> values) {
    List<Object> list = new ArrayList<>();
    values.forEach(list::add);
    return list.isEmpty() ? null : list;
  }

  private static @Nullable List<Object> entries(Iterable<?> entries) {
    List<Object> list = new ArrayList<>();
    for (Object e : entries) {
      Map.Entry<?, ?> entry = (Map.Entry<?, ?>) e;
      list.add(KV.of(entry.getKey(), entry.getValue()));
    }
    return list.isEmpty() ? null : list;
  }

  @SuppressWarnings({"unchecked", "rawtypes", "deprecation"})
  private static Shape shapeOf(StateTag<?> tag) {
    ShapeBinder binder = new ShapeBinder();
    ((StateTag) tag).bind(binder);
    return binder.shape;
  }

  /** Records the kind and coders of a tag instead of creating state. */
  @SuppressWarnings({"unchecked", "rawtypes", "deprecation"})
  private static final class ShapeBinder implements StateTag.StateBinder {
    Shape shape;

    private <T extends State> T record(Kind kind, Coder<?> coder) {
      shape = new Shape(kind, (Coder<Object>) coder);
      return null;
    }

    @Override
    public <T> ValueState<T> bindValue(StateTag<ValueState<T>> spec, Coder<T> coder) {
      return record(Kind.VALUE, ListCoder.of(coder));
    }

    @Override
    public <T> BagState<T> bindBag(StateTag<BagState<T>> spec, Coder<T> elemCoder) {
      return record(Kind.BAG, ListCoder.of(elemCoder));
    }

    @Override
    public <T> SetState<T> bindSet(StateTag<SetState<T>> spec, Coder<T> elemCoder) {
      return record(Kind.SET, ListCoder.of(elemCoder));
    }

    @Override
    public <K, V> MapState<K, V> bindMap(
        StateTag<MapState<K, V>> spec, Coder<K> keyCoder, Coder<V> valueCoder) {
      return record(Kind.MAP, ListCoder.of(KvCoder.of(keyCoder, valueCoder)));
    }

    @Override
    public <K, V> MultimapState<K, V> bindMultimap(
        StateTag<MultimapState<K, V>> spec, Coder<K> keyCoder, Coder<V> valueCoder) {
      return record(Kind.MULTIMAP, ListCoder.of(KvCoder.of(keyCoder, valueCoder)));
    }

    @Override
    public <T> OrderedListState<T> bindOrderedList(
        StateTag<OrderedListState<T>> spec, Coder<T> elemCoder) {
      return record(Kind.ORDERED_LIST, ListCoder.of(KvCoder.of(InstantCoder.of(), elemCoder)));
    }

    @Override
    public <InputT, AccumT, OutputT> CombiningState<InputT, AccumT, OutputT> bindCombiningValue(
        StateTag<CombiningState<InputT, AccumT, OutputT>> spec,
        Coder<AccumT> accumCoder,
        Combine.CombineFn<InputT, AccumT, OutputT> combineFn) {
      return record(Kind.COMBINING, accumCoder);
    }

    @Override
    public <InputT, AccumT, OutputT>
        CombiningState<InputT, AccumT, OutputT> bindCombiningValueWithContext(
            StateTag<CombiningState<InputT, AccumT, OutputT>> spec,
            Coder<AccumT> accumCoder,
            CombineWithContext.CombineFnWithContext<InputT, AccumT, OutputT> combineFn) {
      return record(Kind.COMBINING, accumCoder);
    }

    @Override
    public WatermarkHoldState bindWatermark(
        StateTag<WatermarkHoldState> spec, TimestampCombiner timestampCombiner) {
      return record(Kind.WATERMARK_HOLD, InstantCoder.of());
    }
  }

  /** {@code bytes} as a 4-byte length and the bytes, as snapshots store keys and timers. */
  static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  /** Reads what {@link #writeBytes} wrote. */
  static byte[] readBytes(DataInputStream in) throws IOException {
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    return bytes;
  }
}
