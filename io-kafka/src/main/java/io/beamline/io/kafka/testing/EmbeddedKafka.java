package io.beamline.io.kafka.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import kafka.testkit.KafkaClusterTestKit;
import kafka.testkit.TestKitNodes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process, single-node KRaft Kafka broker (combined broker and controller) for tests and the
 * demo: Kafka's own test kit ({@code kafka.testkit.KafkaClusterTestKit} from {@code
 * org.apache.kafka:kafka_2.13:test}), hidden behind this class so that a Kafka upgrade (the kit
 * moved to {@code org.apache.kafka.common.test} in 4.0) touches one file.
 *
 * <p>The broker listens on an ephemeral port of localhost ({@link #bootstrapServers()}) and keeps
 * its log in a temporary directory removed by {@link #close()}: its topics do not survive the
 * process. Replication factors are 1 and {@code transaction.max.timeout.ms} is the broker default
 * (15 minutes). Starting takes about 2 s (measured on 2 cores, see {@code
 * ../shared/research/exactly-once.md} §5).
 *
 * <p>Fatal broker errors do not exit the JVM: like spring-kafka's embedded broker, this class
 * replaces Kafka's {@link Exit} procedures with ones that throw.
 *
 * <p>Requires the optional dependencies {@code kafka_2.13}, {@code kafka_2.13:test}, {@code
 * kafka-server-common:test}, {@code kafka-clients:test} and {@code junit-jupiter-api} of this
 * module on the class path.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final KafkaClusterTestKit cluster;
  private final String bootstrapServers;

  private EmbeddedKafka(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
    this.bootstrapServers = cluster.bootstrapServers();
  }

  /**
   * Formats and starts a broker and waits until it accepts clients.
   *
   * @param brokerConfig extra broker properties (e.g. {@code transaction.max.timeout.ms})
   * @throws Exception if the broker does not start
   */
  public static EmbeddedKafka start(Map<String, String> brokerConfig) throws Exception {
    Exit.setExitProcedure(
        (status, message) -> {
          throw new IllegalStateException("embedded Kafka broker asked to exit: " + message);
        });
    Exit.setHaltProcedure(
        (status, message) -> {
          throw new IllegalStateException("embedded Kafka broker asked to halt: " + message);
        });
    long start = System.nanoTime();
    KafkaClusterTestKit.Builder builder =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build())
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("offsets.topic.num.partitions", "4")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("transaction.state.log.num.partitions", "4")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .setConfigProp("auto.create.topics.enable", "false")
            .setConfigProp("num.partitions", "1");
    brokerConfig.forEach(builder::setConfigProp);
    KafkaClusterTestKit cluster = builder.build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    EmbeddedKafka kafka = new EmbeddedKafka(cluster);
    LOG.info(
        "Embedded Kafka broker at {} started in {} ms",
        kafka.bootstrapServers,
        (System.nanoTime() - start) / 1_000_000);
    return kafka;
  }

  /** {@link #start(Map)} with no extra broker properties. */
  public static EmbeddedKafka start() throws Exception {
    return start(Map.of());
  }

  /** The {@code host:port} list clients connect to. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** An admin client of this broker; the caller closes it. */
  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  /**
   * Creates topics with the given number of partitions (replication factor 1); topics that exist
   * already are left as they are.
   *
   * @throws ExecutionException if the broker refuses a topic for another reason
   */
  public void createTopics(int partitions, String... topics)
      throws ExecutionException, InterruptedException {
    List<NewTopic> newTopics = new ArrayList<>();
    for (String topic : topics) {
      newTopics.add(new NewTopic(topic, partitions, (short) 1));
    }
    try (Admin admin = admin()) {
      for (var entry : admin.createTopics(newTopics).values().entrySet()) {
        try {
          entry.getValue().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
    }
  }

  /** Stops the broker and deletes its log directory. */
  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
