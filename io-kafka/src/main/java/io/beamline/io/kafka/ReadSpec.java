package io.beamline.io.kafka;

import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/** What a {@link KafkaIO.Read} reads and how; copied on every {@code with…} call. */
final class ReadSpec<K, V> implements Serializable {
  private static final long serialVersionUID = 1L;

  @Nullable String bootstrapServers;
  @Nullable List<String> topics;
  @Nullable String topicPattern;
  Map<String, String> consumerConfig = new HashMap<>();
  @Nullable Class<? extends Deserializer<K>> keyDeserializer;
  @Nullable Class<? extends Deserializer<V>> valueDeserializer;
  @Nullable Coder<K> keyCoder;
  @Nullable Coder<V> valueCoder;
  KafkaIO.StartingOffsets startingOffsets = KafkaIO.StartingOffsets.EARLIEST;
  Map<String, Long> explicitStartingOffsets = new HashMap<>();
  @Nullable SerializableFunction<KafkaRecord<K, V>, Instant> timestampFn;
  long maxOutOfOrdernessMillis;
  long maxRecordsPerEpoch = Long.MAX_VALUE;
  long partitionDiscoveryIntervalMillis = 10_000;
  @Nullable String deadLetterTopic;
  /** Whether dead letters are written in Kafka transactions (default) or without. */
  boolean deadLettersExactlyOnce = true;

  ReadSpec<K, V> copy() {
    return SerializableUtils.clone(this);
  }

  /**
   * How long the broker may hold a fetch that finds nothing (Kafka's {@code fetch.max.wait.ms},
   * default 500 ms), unless the user sets it. A reader asks the broker for the partitions' ends
   * when it takes a checkpoint mark (to tell idle partitions), and that request waits on the same
   * connection behind a fetch held open on an idle topic: with Kafka's default a checkpoint barrier
   * on RealtimeRunner waited up to 0.86 s when the input stopped (docs/benchmarks.md).
   */
  static final int FETCH_MAX_WAIT_MS = 20;

  /**
   * The consumer configuration every reader uses: the user's, then what exactly-once reading needs
   * ({@code read_committed}, never auto-committed, byte-array deserializers: deserialization is
   * done by the reader so that a failure becomes a dead letter), and {@value #FETCH_MAX_WAIT_MS} ms
   * of {@code fetch.max.wait.ms} unless the user sets it.
   */
  Map<String, Object> consumerConfig(String clientId) {
    Map<String, Object> config = new HashMap<>(consumerConfig);
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    config.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, FETCH_MAX_WAIT_MS);
    config.remove(ConsumerConfig.GROUP_ID_CONFIG); // partitions are assigned, never subscribed
    return config;
  }

  String describeTopics() {
    return topics != null ? String.join(",", topics) : "pattern " + topicPattern;
  }
}
