package io.beamline.io.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamline.io.kafka.testing.KafkaTopics;
import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import io.beamline.runners.microbatch.MicroBatchRunner;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The Kafka source and sink on {@code MicroBatchRunner}, in one JVM against the embedded broker:
 * every record is copied exactly once; a replayed epoch whose transaction is in Kafka is skipped;
 * malformed records go to the dead-letter topic with their address.
 */
public class KafkaExactlyOnceTest {
  private static final int RECORDS = 3_000;
  @ClassRule public static final EmbeddedKafkaRule kafka = new EmbeddedKafkaRule();

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** Seeds {@code topic} with values 0..RECORDS-1 as 8-byte longs, plus malformed records. */
  private static void seed(String topic, int malformed) throws Exception {
    kafka.createTopics(3, topic);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "seed-" + topic),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      for (long i = 0; i < RECORDS; i++) {
        producer.send(
            new ProducerRecord<>(
                topic, (int) (i % 3), null, ByteBuffer.allocate(8).putLong(i).array()));
        if (i % 1000 == 999) {
          producer.commitTransaction();
          producer.beginTransaction();
          // an aborted transaction leaves a gap of offsets that readers must skip
          producer.send(new ProducerRecord<>(topic, 0, null, ByteBuffer.allocate(8).putLong(-1).array()));
          producer.abortTransaction();
          producer.beginTransaction();
        }
      }
      for (int i = 0; i < malformed; i++) {
        producer.send(new ProducerRecord<>(topic, 1, null, ("bad-" + i).getBytes()));
      }
      producer.commitTransaction();
    }
  }

  private Pipeline copyPipeline(String in, String out, Path checkpoint, String... extra) {
    List<String> args = new ArrayList<>(List.of(
        "--runner=" + MicroBatchRunner.class.getSimpleName(),
        "--parallelism=2",
        "--checkpointDir=" + checkpoint,
        "--trigger=availableNow",
        "--maxRecordsPerBatch=500",
        "--batchInterval=50ms"));
    args.addAll(List.of(extra));
    MicroBatchPipelineOptions options =
        PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(MicroBatchPipelineOptions.class);
    Pipeline p = Pipeline.create(options);
    p.apply(
            KafkaIO.<byte[], Long>read()
                .withBootstrapServers(kafka.bootstrapServers())
                .withTopic(in)
                .withKeyDeserializer(org.apache.kafka.common.serialization.ByteArrayDeserializer.class)
                .withValueDeserializer(LongDeserializer.class)
                .withDeadLetterTopic(in + ".dead"))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
                .via(r -> KV.of(Long.toString(r.value() % 7), r.address() + "=" + r.value())))
        .apply(
            KafkaIO.<String, String>write()
                .withBootstrapServers(kafka.bootstrapServers())
                .withTopic(out)
                .withKeySerializer(StringSerializer.class)
                .withValueSerializer(StringSerializer.class));
    return p;
  }

  private static Map<String, Integer> counts(List<String> values) {
    Map<String, Integer> counts = new TreeMap<>();
    values.forEach(v -> counts.merge(v, 1, Integer::sum));
    return counts;
  }

  private static void assertExactlyEachInputOnce(List<String> output) {
    Map<String, Integer> counts = counts(output);
    assertEquals("distinct outputs", RECORDS, counts.size());
    counts.forEach((v, c) -> assertEquals("copies of " + v, 1, (int) c));
    long sum = output.stream().mapToLong(v -> Long.parseLong(v.substring(v.indexOf('=') + 1))).sum();
    assertEquals((long) RECORDS * (RECORDS - 1) / 2, sum);
  }

  @Test
  public void copiesEveryRecordExactlyOnceAndDivertsMalformedOnes() throws Exception {
    seed("in-a", 5);
    kafka.createTopics(2, "out-a", "in-a.dead");
    copyPipeline("in-a", "out-a", tmp.newFolder().toPath()).run().waitUntilFinish();

    assertExactlyEachInputOnce(KafkaTopics.readCommittedValues(kafka.bootstrapServers(), "out-a"));
    List<String> dead = KafkaTopics.readCommittedValues(kafka.bootstrapServers(), "in-a.dead");
    assertEquals(5, dead.size());
    JsonNode first = new ObjectMapper().readTree(dead.get(0));
    assertEquals("in-a", first.path("topic").asText());
    assertEquals(1, first.path("partition").asInt());
    assertThat(first.path("error").asText(), containsString("SerializationException"));
    assertTrue(first.path("offset").asLong() >= 0);
  }

  @Test
  public void replayedEpochAlreadyInKafkaIsSkipped() throws Exception {
    seed("in-b", 0);
    kafka.createTopics(2, "out-b", "in-b.dead");
    Path checkpoint = tmp.newFolder().toPath();
    copyPipeline("in-b", "out-b", checkpoint).run().waitUntilFinish();
    // As if the process died after the Kafka commit of the last epoch that read records, before
    // its commits/E: delete commits/E and everything after E. The restarted run replays E over the
    // logged offsets, and the shards' markers must drop its output.
    long e = lastEpochWithRecords(checkpoint);
    for (String log : List.of("commits", "offsets", "state")) {
      if (!Files.exists(checkpoint.resolve(log))) {
        continue; // small state is inlined in the commits: no state directory
      }
      try (var files = Files.list(checkpoint.resolve(log))) {
        for (Path f : files.toList()) {
          if (epochOf(f) > e || (log.equals("commits") && epochOf(f) == e)) {
            org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.io.MoreFiles.deleteRecursively(
                f, org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.io.RecursiveDeleteOption.ALLOW_INSECURE);
          }
        }
      }
    }
    copyPipeline("in-b", "out-b", checkpoint).run().waitUntilFinish();

    assertExactlyEachInputOnce(KafkaTopics.readCommittedValues(kafka.bootstrapServers(), "out-b"));
  }

  /**
   * A new checkpoint directory is a new run: in the same JVM, with the same sink (same
   * transactional ids, producers cached), it must write all its epochs although an earlier run's
   * markers are higher.
   */
  @Test
  public void newRunInTheSameJvmIsNotSkippedByTheOldRunsMarkers() throws Exception {
    seed("in-d", 0);
    kafka.createTopics(2, "out-d", "in-d.dead");
    copyPipeline("in-d", "out-d", tmp.newFolder().toPath()).run().waitUntilFinish();
    copyPipeline("in-d", "out-d", tmp.newFolder().toPath()).run().waitUntilFinish();

    Map<String, Integer> counts =
        counts(KafkaTopics.readCommittedValues(kafka.bootstrapServers(), "out-d"));
    assertEquals(RECORDS, counts.size());
    counts.forEach((v, c) -> assertEquals("copies of " + v + " after two runs", 2, (int) c));
  }

  private static long lastEpochWithRecords(Path checkpoint) throws Exception {
    long last = -1;
    try (var files = Files.list(checkpoint.resolve("offsets"))) {
      for (Path f : files.toList()) {
        JsonNode offsets = new ObjectMapper().readTree(
            io.beamline.sdk.internal.checkpoint.CheckpointFiles.read(f));
        long records = 0;
        for (JsonNode source : offsets.path("sources")) {
          for (JsonNode split : source.path("splits")) {
            records += split.path("records").asLong();
          }
        }
        if (records > 0) {
          last = Math.max(last, epochOf(f));
        }
      }
    }
    assertTrue("an epoch read records", last >= 0);
    return last;
  }

  /** A pipeline on MicroBatchRunner that reads what is there and stops, checkpointed. */
  private Pipeline availableNowPipeline() throws Exception {
    return Pipeline.create(
        PipelineOptionsFactory.fromArgs(
                "--runner=MicroBatchRunner", "--trigger=availableNow",
                "--checkpointDir=" + tmp.newFolder())
            .create());
  }

  /** Reads {@code topic}'s values as 8-byte longs, without a dead-letter topic. */
  private static KafkaIO.Read<byte[], Long> readLongs(String topic) {
    return KafkaIO.<byte[], Long>read()
        .withBootstrapServers(kafka.bootstrapServers())
        .withTopic(topic)
        .withKeyDeserializer(org.apache.kafka.common.serialization.ByteArrayDeserializer.class)
        .withValueDeserializer(LongDeserializer.class);
  }

  private static long epochOf(Path file) {
    return Long.parseLong(file.getFileName().toString());
  }

  @Test
  public void malformedRecordWithoutDeadLetterTopicFailsNamingTheRecord() throws Exception {
    seed("in-c", 1);
    kafka.createTopics(1, "out-c");
    Pipeline p = availableNowPipeline();
    p.apply(readLongs("in-c"))
        .apply(MapElements.into(TypeDescriptors.longs()).via(r -> r.value()));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    assertThat(causes(e), containsString("Kafka record in-c-1@"));
    assertThat(causes(e), containsString("withDeadLetterTopic"));
  }

  @Test
  public void transactionTimeoutAboveTheBrokersMaximumIsExplained() throws Exception {
    seed("in-e", 0);
    kafka.createTopics(1, "out-e");
    Pipeline p = availableNowPipeline();
    p.apply(readLongs("in-e"))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
                .via(r -> KV.of("k", Long.toString(r.value()))))
        .apply(
            KafkaIO.<String, String>write()
                .withBootstrapServers(kafka.bootstrapServers())
                .withTopic("out-e")
                .withKeySerializer(StringSerializer.class)
                .withValueSerializer(StringSerializer.class)
                // the broker's transaction.max.timeout.ms is 15 minutes by default
                .withTransactionTimeout(org.joda.time.Duration.standardMinutes(20)));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    assertThat(causes(e), containsString("exceeds the broker's transaction.max.timeout.ms"));
  }

  private static String causes(Throwable e) {
    StringBuilder s = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      s.append(t).append('\n');
    }
    return s.toString();
  }
}
