package io.beamline.io.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import com.google.common.base.Throwables;
import io.beamline.io.kafka.testing.KafkaTopics;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * The at-least-once sink on RealtimeRunner, which defers its flush to the end of the task's input
 * ({@code DeferredFlush}): nothing sent is lost when the run ends, and a failed send still fails
 * the run.
 */
public class KafkaAtLeastOnceTest {
  private static final int RECORDS = 5_000;
  @ClassRule public static final EmbeddedKafkaRule kafka = new EmbeddedKafkaRule();

  /** GenerateSequence → "k=v" strings → the at-least-once sink, on RealtimeRunner in streaming mode. */
  private static Pipeline pipeline(String topic, Map<String, String> producerConfig) {
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=RealtimeRunner",
                    "--streaming=true",
                    "--parallelism=2",
                    "--maxBundleElements=50")
                .create());
    p.apply(GenerateSequence.from(0).to(RECORDS))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
                .via(i -> KV.of(Long.toString(i % 7), Long.toString(i))))
        .apply(
            KafkaIO.<String, String>write()
                .withBootstrapServers(kafka.bootstrapServers())
                .withTopic(topic)
                .withKeySerializer(StringSerializer.class)
                .withValueSerializer(StringSerializer.class)
                .withProducerConfig(producerConfig)
                .withAtLeastOnce());
    return p;
  }

  /**
   * With a minute of {@code linger.ms} the producer sends nothing until it is flushed, so the
   * records reach Kafka only through the flush at the end of the input: without it the sink's
   * teardown would drop them.
   */
  @Test
  public void everyRecordIsInKafkaWhenTheRunIsDone() throws Exception {
    kafka.createTopics(3, "alo-out");
    pipeline("alo-out", Map.of(ProducerConfig.LINGER_MS_CONFIG, "60000")).run().waitUntilFinish();

    List<String> values = KafkaTopics.readCommittedValues(kafka.bootstrapServers(), "alo-out");
    assertEquals("records", RECORDS, values.size());
    TreeSet<Long> distinct = new TreeSet<>();
    values.forEach(v -> distinct.add(Long.parseLong(v)));
    assertEquals("distinct", RECORDS, distinct.size());
    assertEquals(0L, (long) distinct.first());
    assertEquals(RECORDS - 1L, (long) distinct.last());
  }

  @Test
  public void aFailedSendFailsTheRun() throws Exception {
    kafka.createTopics(1, "alo-too-large");
    Pipeline p = pipeline("alo-too-large", Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "10"));
    Pipeline.PipelineExecutionException e =
        assertThrows(Pipeline.PipelineExecutionException.class, () -> p.run().waitUntilFinish());
    assertThat(Throwables.getRootCause(e).toString(), containsString("RecordTooLargeException"));
  }
}
