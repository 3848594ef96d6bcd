package io.beamline.io.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/** What the Kafka source emits: a deserialized record, or a dead letter if that failed. */
record SourceRecord<K, V>(@Nullable KafkaRecord<K, V> record, @Nullable DeadLetter deadLetter) {

  static final class RecordOrDeadLetterCoder<K, V> extends StructuredCoder<SourceRecord<K, V>> {
    private final KafkaRecord.RecordCoder<K, V> recordCoder;
    private static final Coder<DeadLetter> DEAD_LETTER = SerializableCoder.of(DeadLetter.class);

    RecordOrDeadLetterCoder(KafkaRecord.RecordCoder<K, V> recordCoder) {
      this.recordCoder = recordCoder;
    }

    @Override
    public void encode(SourceRecord<K, V> value, OutputStream out) throws IOException {
      BooleanCoder.of().encode(value.record() != null, out);
      if (value.record() != null) {
        recordCoder.encode(value.record(), out);
      } else {
        DEAD_LETTER.encode(value.deadLetter(), out);
      }
    }

    @Override
    public SourceRecord<K, V> decode(InputStream in) throws IOException {
      return BooleanCoder.of().decode(in)
          ? new SourceRecord<>(recordCoder.decode(in), null)
          : new SourceRecord<>(null, DEAD_LETTER.decode(in));
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(recordCoder);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      recordCoder.verifyDeterministic();
    }
  }
}
