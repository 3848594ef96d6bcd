package io.beamline.io.kafka;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.ClassRule;
import org.junit.Test;

/** {@link KafkaReader#awaitRecords}: the wait RealtimeRunner's source task makes when idle. */
public class KafkaReaderAwaitTest {
  @ClassRule public static final EmbeddedKafkaRule kafka = new EmbeddedKafkaRule();

  private static KafkaReader<String, String> reader(String topic) throws Exception {
    KafkaSource<String, String> source =
        KafkaIO.<String, String>read()
            .withBootstrapServers(kafka.bootstrapServers())
            .withTopic(topic)
            .withKeyDeserializer(StringDeserializer.class)
            .withValueDeserializer(StringDeserializer.class)
            .source();
    return (KafkaReader<String, String>) source.createReader(PipelineOptionsFactory.create(), null);
  }

  private static void send(String topic, String value) throws Exception {
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringSerializer(),
            new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "k", value)).get();
    }
  }

  @Test
  public void waitsUntilARecordArrivesAndLeavesItToAdvance() throws Exception {
    kafka.createTopics(1, "await-a");
    try (var reader = reader("await-a")) {
      assertFalse("empty topic", reader.start());
      assertFalse("nothing to read after a short wait", reader.awaitRecords(20));
      send("await-a", "v1");
      assertTrue("a record arrived within the wait", reader.awaitRecords(30_000));
      assertTrue("still unread", reader.awaitRecords(30_000));
      assertTrue(reader.advance());
      assertEquals("v1", reader.getCurrent().record().value());
      assertFalse(reader.advance());
    }
  }

  @Test
  public void anInterruptEndsTheWaitWithTheFlagSet() throws Exception {
    kafka.createTopics(1, "await-b");
    try (var reader = reader("await-b")) {
      assertFalse(reader.start());
      Thread.currentThread().interrupt();
      try {
        assertFalse(reader.awaitRecords(30_000));
        assertTrue("interrupt flag kept", Thread.currentThread().isInterrupted());
      } finally {
        Thread.interrupted();
      }
    }
  }
}
