package io.beamline.io.kafka.testing;

import io.beamline.io.kafka.KafkaIO;
import io.beamline.io.kafka.KafkaRecord;
import com.google.common.util.concurrent.RateLimiter;
import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The job {@code KafkaCrashRecoveryIT} kills: reads the input topic (records whose value is a
 * unique id, a decimal number), keys each record by its source partition and {@code id mod 4},
 * counts the records of each key in value state, and writes {@code id -> "id,key,count"} to the
 * output topic with the exactly-once Kafka sink.
 *
 * <p>The output is a function of the input alone: all records of a key come from one partition,
 * read by one reader in offset order, so a key's running count is the position of the record among
 * its key's committed records, whatever the epochs. A record counted twice in state (state not
 * recovered exactly) shifts the counts after it; a replayed epoch written twice to Kafka duplicates
 * its lines; a lost epoch leaves ids missing. {@link #expectedValues} is what an uninterrupted run
 * writes.
 *
 * <p>With {@code --trigger=processingTime} the job never ends (the Kafka source is unbounded): the
 * test kills it. With {@code --trigger=availableNow} it stops once the input is consumed.
 */
public final class KafkaCrashTestPipeline {
  /** Keys per partition: {@code id mod KEYS_PER_PARTITION}. */
  public static final int KEYS_PER_PARTITION = 4;

  /** The job's own options. */
  public interface Options extends MicroBatchPipelineOptions {
    @Description("Kafka bootstrap servers")
    @Validation.Required
    String getBootstrapServers();

    void setBootstrapServers(String value);

    @Description("Input topic")
    @Validation.Required
    String getInputTopic();

    void setInputTopic(String value);

    @Description("Output topic")
    @Validation.Required
    String getOutputTopic();

    void setOutputTopic(String value);

    @Description("Prefix of the sink's transactional ids and marker groups")
    @Validation.Required
    String getTransactionalIdPrefix();

    void setTransactionalIdPrefix(String value);

    @Description("The sink's transaction.timeout.ms, in seconds")
    @Validation.Required
    Long getTransactionTimeoutSeconds();

    void setTransactionTimeoutSeconds(Long value);

    @Description(
        "Records per second each reading task passes on at most (Guava's RateLimiter), 0 for no"
            + " limit: keeps RealtimeRunner, which reads the whole input in well under a second,"
            + " busy long enough to be killed mid-stream")
    @Default.Double(0)
    Double getRecordsPerSecond();

    void setRecordsPerSecond(Double value);
  }

  public static void main(String[] args) {
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    Pipeline p = Pipeline.create(options);
    p.apply(
            "Read",
            KafkaIO.<String, String>read()
                .withBootstrapServers(options.getBootstrapServers())
                .withTopic(options.getInputTopic())
                .withKeyDeserializer(StringDeserializer.class)
                .withValueDeserializer(StringDeserializer.class))
        .apply("Key", ParDo.of(new KeyFn(options.getRecordsPerSecond())))
        .apply("Count", ParDo.of(new RunningCountFn()))
        .apply(
            "Write",
            KafkaIO.<String, String>write()
                .withBootstrapServers(options.getBootstrapServers())
                .withTopic(options.getOutputTopic())
                .withKeySerializer(StringSerializer.class)
                .withValueSerializer(StringSerializer.class)
                .withTransactionalIdPrefix(options.getTransactionalIdPrefix())
                .withTransactionTimeout(
                    Duration.standardSeconds(options.getTransactionTimeoutSeconds())));
    p.run().waitUntilFinish();
    System.out.println("KAFKA-CRASH-TEST-PIPELINE DONE");
  }

  /** The aggregation key of a record: its partition and {@code id mod KEYS_PER_PARTITION}. */
  static String keyOf(int partition, long id) {
    return "p" + partition + "k" + (id % KEYS_PER_PARTITION);
  }

  /** The output value of id {@code id}, the {@code count}-th record of its key. */
  static String value(long id, String key, long count) {
    return id + "," + key + "," + count;
  }

  /**
   * Keys a record by its partition and id ({@link #keyOf}); at most {@code recordsPerSecond} per
   * instance if positive. Fused with the read, so the limit slows the reading, not a queue's
   * consumer (a backlog in the queues would delay the checkpoint barriers behind it).
   */
  static final class KeyFn extends DoFn<KafkaRecord<String, String>, KV<String, String>> {
    private final double recordsPerSecond;
    private transient @Nullable RateLimiter limiter;

    KeyFn(double recordsPerSecond) {
      this.recordsPerSecond = recordsPerSecond;
    }

    @Setup
    public void setup() {
      limiter = recordsPerSecond > 0 ? RateLimiter.create(recordsPerSecond) : null;
    }

    @ProcessElement
    public void process(
        @Element KafkaRecord<String, String> record, OutputReceiver<KV<String, String>> out) {
      if (limiter != null) {
        limiter.acquire();
      }
      out.output(KV.of(keyOf(record.partition(), Long.parseLong(record.value())), record.value()));
    }
  }

  /** Running count of each key's records, in value state; emits {@code id -> "id,key,count"}. */
  static final class RunningCountFn extends DoFn<KV<String, String>, KV<String, String>> {
    @StateId("count")
    private final StateSpec<ValueState<Long>> countSpec = StateSpecs.value(VarLongCoder.of());

    @ProcessElement
    public void process(
        @Element KV<String, String> element,
        @StateId("count") ValueState<Long> count,
        OutputReceiver<KV<String, String>> out) {
      Long before = count.read();
      long c = (before == null ? 0 : before) + 1;
      count.write(c);
      out.output(
          KV.of(
              element.getValue(), value(Long.parseLong(element.getValue()), element.getKey(), c)));
    }
  }

  /**
   * The values an uninterrupted run writes for the committed input: {@code ids[p]} are the ids of
   * partition {@code p}'s committed records in offset order.
   */
  public static Map<String, Integer> expectedValues(long[][] ids) {
    Map<String, Integer> expected = new HashMap<>();
    for (int p = 0; p < ids.length; p++) {
      Map<String, Long> counts = new HashMap<>();
      for (long id : ids[p]) {
        String key = keyOf(p, id);
        long c = counts.merge(key, 1L, Long::sum);
        expected.merge(value(id, key, c), 1, Integer::sum);
      }
    }
    return expected;
  }

  private KafkaCrashTestPipeline() {}
}
