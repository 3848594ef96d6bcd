package io.beamline.io.kafka;

import io.beamline.io.kafka.testing.EmbeddedKafka;
import org.junit.rules.ExternalResource;

/**
 * An {@link EmbeddedKafka} broker for a test class: {@code @ClassRule public static final
 * EmbeddedKafkaRule kafka = new EmbeddedKafkaRule();} starts it before the class's tests and closes
 * it after them.
 */
final class EmbeddedKafkaRule extends ExternalResource {
  private EmbeddedKafka broker;

  @Override
  protected void before() throws Throwable {
    broker = EmbeddedKafka.start();
  }

  @Override
  protected void after() {
    try {
      broker.close();
    } catch (Exception e) {
      throw new IllegalStateException("could not stop the embedded Kafka broker", e);
    }
  }

  /** The broker's {@code host:port}. */
  String bootstrapServers() {
    return broker.bootstrapServers();
  }

  /** See {@link EmbeddedKafka#createTopics}. */
  void createTopics(int partitions, String... topics) throws Exception {
    broker.createTopics(partitions, topics);
  }
}
