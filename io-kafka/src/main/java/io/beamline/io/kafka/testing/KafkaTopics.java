package io.beamline.io.kafka.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reading a whole topic back, for tests, checks and the demo's summary. */
public final class KafkaTopics {
  private KafkaTopics() {}

  /**
   * Every committed record of {@code topic} up to its current end, partition by partition, as
   * {@code read_committed} consumers see them (aborted and open transactions excluded).
   */
  public static List<ConsumerRecord<String, String>> readCommitted(
      String bootstrapServers, String topic) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
            new StringDeserializer(),
            new StringDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          records.add(r);
        }
      }
    }
    return records;
  }

  /** The values of {@link #readCommitted}. */
  public static List<String> readCommittedValues(String bootstrapServers, String topic) {
    return readCommitted(bootstrapServers, topic).stream().map(ConsumerRecord::value).toList();
  }
}
