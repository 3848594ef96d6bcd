package io.beamline.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The streaming job's topics: creating them, and reading back what a run committed to them. */
final class JobTopics {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JobTopics() {}

  /**
   * Creates the topics that do not exist (replication factor: the cluster's default) and checks
   * the partitions of those that do.
   *
   * @param partitions topic name to number of partitions
   * @throws IllegalStateException if an existing topic has another number of partitions
   */
  static void create(String bootstrapServers, Map<String, Integer> partitions)
      throws ExecutionException, InterruptedException {
    try (Admin admin = admin(bootstrapServers)) {
      List<NewTopic> topics = new ArrayList<>();
      partitions.forEach(
          (name, n) -> topics.add(new NewTopic(name, Optional.of(n), Optional.empty())));
      for (var created : admin.createTopics(topics).values().entrySet()) {
        try {
          created.getValue().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
      Map<String, TopicDescription> described = describe(admin, partitions.keySet());
      for (var expected : partitions.entrySet()) {
        int actual = described.get(expected.getKey()).partitions().size();
        if (actual != expected.getValue()) {
          throw new IllegalStateException(
              String.format(
                  "Topic %s exists with %d partitions, the job needs %d; delete it or use another"
                      + " topic name",
                  expected.getKey(), actual, expected.getValue()));
        }
      }
    }
  }

  /**
   * Describes {@code topics}, retrying for up to 5 s while the broker does not know a topic yet:
   * right after {@code createTopics} returns, a broker's metadata may lag the controller's
   * ({@code UnknownTopicOrPartitionException}).
   */
  private static Map<String, TopicDescription> describe(Admin admin, java.util.Set<String> topics)
      throws ExecutionException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        return admin.describeTopics(topics).allTopicNames().get();
      } catch (ExecutionException e) {
        if (!(e.getCause()
                instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
            || attempt == 50) {
          throw e;
        }
        TimeUnit.MILLISECONDS.sleep(100); // back-off before asking the broker again
      }
    }
  }

  /**
   * True if the cluster at {@code bootstrapServers} answers within {@code timeout} (Kafka's
   * clients would otherwise retry for a minute before the first call fails).
   */
  static boolean reachable(String bootstrapServers, java.time.Duration timeout)
      throws InterruptedException {
    int millis = (int) timeout.toMillis();
    Admin admin;
    try {
      admin =
          Admin.create(
              Map.of(
                  AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                  AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis,
                  AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis));
    } catch (org.apache.kafka.common.KafkaException e) {
      return false; // e.g. a host name that does not resolve
    }
    try {
      admin.describeCluster().nodes().get(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      return false;
    } finally {
      admin.close(Duration.ZERO); // do not wait for the call that timed out
    }
  }

  private static Admin admin(String bootstrapServers) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  private static KafkaConsumer<String, String> readCommittedConsumer(String bootstrapServers) {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
            ConsumerConfig.CLIENT_ID_CONFIG, "flights-streaming-summary"),
        new StringDeserializer(),
        new StringDeserializer());
  }

  private static List<TopicPartition> partitionsOf(
      KafkaConsumer<String, String> consumer, String topic) {
    List<TopicPartition> partitions = new ArrayList<>();
    consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
    return partitions;
  }

  /** Each partition's end as {@code read_committed} readers see it (the last stable offset). */
  static Map<Integer, Long> committedEnd(String bootstrapServers, String topic) {
    try (KafkaConsumer<String, String> consumer = readCommittedConsumer(bootstrapServers)) {
      Map<Integer, Long> end = new TreeMap<>();
      consumer.endOffsets(partitionsOf(consumer, topic)).forEach((tp, o) -> end.put(tp.partition(), o));
      return end;
    }
  }

  /**
   * The committed records of {@code topic} from {@code start} (per partition; 0 if absent) up to
   * its current committed end, partition by partition.
   */
  static List<ConsumerRecord<String, String>> readCommitted(
      String bootstrapServers, String topic, Map<Integer, Long> start) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = readCommittedConsumer(bootstrapServers)) {
      List<TopicPartition> partitions = partitionsOf(consumer, topic);
      consumer.assign(partitions);
      for (TopicPartition tp : partitions) {
        consumer.seek(tp, start.getOrDefault(tp.partition(), 0L));
      }
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
            records.add(r);
          }
        }
      }
    }
    return records;
  }

  /**
   * The output and dead-letter topics' committed ends when the job started: read from {@value
   * CheckpointFiles#OUTPUT_START_FILE}, or taken now and written there by the job's first run (a checkpoint of
   * an older version, without the file, counts from now).
   */
  static Map<String, Map<Integer, Long>> outputStarts(
      Path checkpointDir, String bootstrap, String outputTopic, String deadLetterTopic)
      throws IOException {
    Path file = checkpointDir.resolve(CheckpointFiles.OUTPUT_START_FILE);
    Map<String, Map<Integer, Long>> starts = new LinkedHashMap<>();
    if (Files.exists(file)) {
      var node = JSON.readTree(file.toFile());
      for (String topic : List.of("output", "deadLetters")) {
        Map<Integer, Long> offsets = new TreeMap<>();
        node.path(topic)
            .fields()
            .forEachRemaining(e -> offsets.put(Integer.parseInt(e.getKey()), e.getValue().asLong()));
        starts.put(topic, offsets);
      }
      return starts;
    }
    starts.put("output", JobTopics.committedEnd(bootstrap, outputTopic));
    starts.put("deadLetters", JobTopics.committedEnd(bootstrap, deadLetterTopic));
    Files.createDirectories(checkpointDir);
    Files.writeString(file, JSON.writeValueAsString(starts));
    return starts;
  }
}
