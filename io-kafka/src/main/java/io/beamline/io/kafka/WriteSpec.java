package io.beamline.io.kafka;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.kafka.common.serialization.Serializer;
import org.checkerframework.checker.nullness.qual.Nullable;

/** What a {@link KafkaIO.Write} writes and how; copied on every {@code with…} call. */
final class WriteSpec<K, V> implements Serializable {
  private static final long serialVersionUID = 1L;

  @Nullable String bootstrapServers;
  @Nullable String topic;
  Map<String, String> producerConfig = new HashMap<>();
  @Nullable Class<? extends Serializer<K>> keySerializer;
  @Nullable Class<? extends Serializer<V>> valueSerializer;
  boolean exactlyOnce = true;
  @Nullable String transactionalIdPrefix;
  long transactionTimeoutMillis = 60_000;
  boolean useInputTimestamp;

  WriteSpec<K, V> copy() {
    return SerializableUtils.clone(this);
  }
}
