package io.beamline.io.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.values.KV;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A record read from Kafka: where it was (topic, partition, offset), its Kafka timestamp and its
 * deserialized key and value (either may be null: Kafka allows null keys and tombstone values).
 *
 * @param timestamp the record's Kafka timestamp (CreateTime or LogAppendTime), ms since the epoch
 */
public record KafkaRecord<K, V>(
    String topic, int partition, long offset, long timestamp, @Nullable K key, @Nullable V value) {

  /** The key and value only, as Beam's {@code KafkaIO.read().withoutMetadata()} gives them. */
  public KV<K, V> toKV() {
    return KV.of(key, value);
  }

  /** {@code topic-partition@offset}, the address of the record in error messages. */
  public String address() {
    return topic + "-" + partition + "@" + offset;
  }

  /** Coder of {@link KafkaRecord}: the metadata, then the nullable key and value. */
  public static final class RecordCoder<K, V> extends StructuredCoder<KafkaRecord<K, V>> {
    private final Coder<K> keyCoder;
    private final Coder<V> valueCoder;
    private final Coder<@Nullable K> nullableKey;
    private final Coder<@Nullable V> nullableValue;

    private RecordCoder(Coder<K> keyCoder, Coder<V> valueCoder) {
      this.keyCoder = keyCoder;
      this.valueCoder = valueCoder;
      this.nullableKey = NullableCoder.of(keyCoder);
      this.nullableValue = NullableCoder.of(valueCoder);
    }

    public static <K, V> RecordCoder<K, V> of(Coder<K> keyCoder, Coder<V> valueCoder) {
      return new RecordCoder<>(keyCoder, valueCoder);
    }

    @Override
    public void encode(KafkaRecord<K, V> record, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(record.topic(), out);
      VarIntCoder.of().encode(record.partition(), out);
      VarLongCoder.of().encode(record.offset(), out);
      VarLongCoder.of().encode(record.timestamp(), out);
      nullableKey.encode(record.key(), out);
      nullableValue.encode(record.value(), out);
    }

    @Override
    public KafkaRecord<K, V> decode(InputStream in) throws IOException {
      return new KafkaRecord<>(
          StringUtf8Coder.of().decode(in),
          VarIntCoder.of().decode(in),
          VarLongCoder.of().decode(in),
          VarLongCoder.of().decode(in),
          nullableKey.decode(in),
          nullableValue.decode(in));
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(keyCoder, valueCoder);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      verifyDeterministic(this, "Key coder must be deterministic", keyCoder);
      verifyDeterministic(this, "Value coder must be deterministic", valueCoder);
    }
  }
}
