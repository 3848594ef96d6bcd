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
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.LoggerFactory;

/**
 * An in-process, single-node KRaft Kafka broker (combined broker and controller) for tests and the
 * demo: Kafka's own test kit ({@code kafka.testkit.KafkaClusterTestKit} from {@code
 * org.apache.kafka:kafka_2.13:test}), hidden behind this class so that a Kafka upgrade (the kit
 * moved to {@code org.apache.kafka.common.test} in 4.0) touches one file.
 *
 * <p>The broker listens on an ephemeral port of localhost ({@link #bootstrapServers()}) and keeps
 * its log in a temporary directory removed by {@link #close()}: its topics do not survive the
 * process. {@link #startPersistent} keeps the log in a directory of the caller's instead, so that
 * a later start finds its topics again (the demo keeps it next to its checkpoint). Replication factors are 1 and {@code transaction.max.timeout.ms} is the broker default
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

  private final @Nullable KafkaClusterTestKit cluster;
  private final kafka.server.@Nullable KafkaRaftServer server;
  private final String bootstrapServers;

  private EmbeddedKafka(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
    this.server = null;
    this.bootstrapServers = cluster.bootstrapServers();
  }

  private EmbeddedKafka(kafka.server.KafkaRaftServer server, String bootstrapServers) {
    this.cluster = null;
    this.server = server;
    this.bootstrapServers = bootstrapServers;
  }

  /**
   * Starts a broker whose log lives in {@code dataDir} and survives it: formatted on the first
   * start (a new cluster id, kept in the directory's {@code meta.properties}), reopened with its
   * topics and their records by every later start on the same directory. The broker is Kafka's
   * own {@code KafkaRaftServer} in combined mode, configured as {@link #start(Map)}'s.
   *
   * @param port the client port on localhost; 0 for a free one (a later start on the same
   *     directory may use another port, but clients that kept the old address need the same)
   * @throws Exception if the directory cannot be formatted or the broker does not start
   */
  public static EmbeddedKafka startPersistent(java.nio.file.Path dataDir, int port)
      throws Exception {
    exitsThrow();
    long start = System.nanoTime();
    java.nio.file.Files.createDirectories(dataDir);
    String dir = dataDir.toAbsolutePath().toString();
    int clientPort = port == 0 ? freePort() : port;
    int controllerPort = freePort();
    java.util.Properties props = new java.util.Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@localhost:" + controllerPort);
    props.put("listeners", "EXTERNAL://localhost:" + clientPort + ",CONTROLLER://localhost:" + controllerPort);
    props.put("advertised.listeners", "EXTERNAL://localhost:" + clientPort);
    props.put("listener.security.protocol.map", "EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "EXTERNAL");
    props.put("controller.listener.names", "CONTROLLER");
    props.put("log.dirs", dir);
    props.put("metadata.log.dir", dir);
    SINGLE_NODE.forEach(props::put);
    if (!java.nio.file.Files.exists(dataDir.resolve("meta.properties"))) {
      new org.apache.kafka.metadata.storage.Formatter()
          .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
          .setNodeId(1)
          .setClusterId(org.apache.kafka.common.Uuid.randomUuid().toString())
          .addDirectory(dir)
          .setMetadataLogDirectory(dir)
          .setControllerListenerName("CONTROLLER")
          .setReleaseVersion(org.apache.kafka.server.common.MetadataVersion.LATEST_PRODUCTION)
          .setSupportedFeatures(org.apache.kafka.server.common.Features.PRODUCTION_FEATURES)
          .run();
    }
    kafka.server.KafkaRaftServer server =
        new kafka.server.KafkaRaftServer(
            kafka.server.KafkaConfig.fromProps(props, false),
            org.apache.kafka.common.utils.Time.SYSTEM);
    server.startup();
    EmbeddedKafka kafka = new EmbeddedKafka(server, "localhost:" + clientPort);
    try (Admin admin = kafka.admin()) {
      admin.describeCluster().nodes().get(60, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      kafka.close();
      throw e;
    }
    LOG.info(
        "Embedded Kafka broker at {} (log in {}) started in {} ms",
        kafka.bootstrapServers,
        dir,
        (System.nanoTime() - start) / 1_000_000);
    return kafka;
  }

  /** Broker settings of a single node with replication factor 1. */
  private static final Map<String, String> SINGLE_NODE =
      Map.of(
          "offsets.topic.replication.factor", "1",
          "offsets.topic.num.partitions", "4",
          "transaction.state.log.replication.factor", "1",
          "transaction.state.log.min.isr", "1",
          "transaction.state.log.num.partitions", "4",
          "group.initial.rebalance.delay.ms", "0",
          "auto.create.topics.enable", "false",
          "num.partitions", "1");

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void exitsThrow() {
    Exit.setExitProcedure(
        (status, message) -> {
          throw new IllegalStateException("embedded Kafka broker asked to exit: " + message);
        });
    Exit.setHaltProcedure(
        (status, message) -> {
          throw new IllegalStateException("embedded Kafka broker asked to halt: " + message);
        });
  }

  /**
   * Formats and starts a broker and waits until it accepts clients.
   *
   * @param brokerConfig extra broker properties (e.g. {@code transaction.max.timeout.ms})
   * @throws Exception if the broker does not start
   */
  public static EmbeddedKafka start(Map<String, String> brokerConfig) throws Exception {
    exitsThrow();
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

  /**
   * Stops the broker; deletes its log directory unless it was started with {@link
   * #startPersistent}.
   */
  @Override
  public void close() throws Exception {
    if (cluster != null) {
      cluster.close();
    } else {
      server.shutdown();
      server.awaitShutdown();
    }
  }
}
