package io.beamline.io.kafka;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamline.io.kafka.testing.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A broker started on a directory finds its topics and records again after a restart. */
public class EmbeddedKafkaPersistenceIT {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void topicsAndRecordsSurviveARestartOnTheSameDirectory() throws Exception {
    Path dir = tmp.newFolder("kafka").toPath();
    int port;
    try (EmbeddedKafka first = EmbeddedKafka.startPersistent(dir, 0)) {
      port = Integer.parseInt(first.bootstrapServers().substring(first.bootstrapServers().lastIndexOf(':') + 1));
      first.createTopics(1, "kept");
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(
              Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, first.bootstrapServers()),
              new StringSerializer(),
              new StringSerializer())) {
        producer.send(new ProducerRecord<>("kept", "k", "one")).get();
        producer.send(new ProducerRecord<>("kept", "k", "two")).get();
      }
    }
    assertTrue(Files.exists(dir.resolve("meta.properties")));
    try (EmbeddedKafka second = EmbeddedKafka.startPersistent(dir, port)) {
      assertEquals("localhost:" + port, second.bootstrapServers());
      second.createTopics(1, "kept"); // exists: left as it is
      try (KafkaConsumer<String, String> consumer =
          new KafkaConsumer<>(
              Map.of(
                  ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, second.bootstrapServers(),
                  ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
              new StringDeserializer(),
              new StringDeserializer())) {
        TopicPartition tp = new TopicPartition("kept", 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        List<String> values = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (values.size() < 2 && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
            values.add(r.value());
          }
        }
        assertEquals(List.of("one", "two"), values);
      }
    }
  }
}
