package io.beamline.io.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.DoubleDeserializer;
import org.apache.kafka.common.serialization.IntegerDeserializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Exactly-once Kafka source and sink for Beam pipelines, built for the Beamline runners' epochs.
 *
 * <h2>Reading</h2>
 *
 * <pre>{@code
 * PCollection<KafkaRecord<String, String>> records =
 *     p.apply(KafkaIO.<String, String>read()
 *         .withBootstrapServers("localhost:9092")
 *         .withTopics(List.of("flights"))
 *         .withKeyDeserializer(StringDeserializer.class)
 *         .withValueDeserializer(StringDeserializer.class)
 *         .withTimestampFn(r -> parseDepartureTime(r.value()))
 *         .withMaxOutOfOrderness(Duration.standardMinutes(5))
 *         .withDeadLetterTopic("flights.dead-letters"));
 * }</pre>
 *
 * <p>The source is a Beam {@code UnboundedSource}, so it runs on any runner. On {@code
 * MicroBatchRunner} each epoch reads an explicit offset range per partition, logged in {@code
 * offsets/N} before the epoch is processed and replayed exactly after a crash. Consumers are
 * assigned partitions (no consumer group), use {@code isolation.level=read_committed} and never
 * commit offsets: positions live in the runner's checkpoint only. Offsets may have gaps
 * (transaction markers, aborted records). Partitions created later are picked up (looked for every
 * 10 s by default) and read from their earliest offset.
 *
 * <p>Event time is the record's Kafka timestamp, or {@link Read#withTimestampFn}. The watermark
 * of a partition is the largest event time it has shown minus {@link Read#withMaxOutOfOrderness}
 * (default 0); the source's watermark is the minimum over partitions that are not idle — a
 * partition with nothing to read does not hold the watermark back — or, if all are idle, the
 * largest.
 *
 * <p>A record whose key or value the deserializer rejects becomes a {@link DeadLetter} (topic,
 * partition, offset, error, raw bytes). With {@link Read#withDeadLetterTopic} it is written to that
 * topic, exactly-once like any output, and the pipeline goes on; without it the pipeline fails
 * naming the record (as Beam's KafkaIO does by default).
 *
 * <h2>Writing</h2>
 *
 * <pre>{@code
 * results.apply(KafkaIO.<String, String>write()
 *     .withBootstrapServers("localhost:9092")
 *     .withTopic("delays-per-window")
 *     .withKeySerializer(StringSerializer.class)
 *     .withValueSerializer(StringSerializer.class));
 * }</pre>
 *
 * <p>Exactly-once by default: in a checkpointed Beamline run every epoch of every shard (task) is
 * one Kafka transaction of a fixed {@code transactional.id} ({@code <prefix>-<shard>}), committed
 * with a marker {@code (runId, epoch)} before the runner commits the epoch, so that a replayed
 * epoch already in Kafka is skipped (see {@link KafkaWriteFn}). Readers of the output must use
 * {@code read_committed}. {@link Write#withAtLeastOnce()} writes without transactions.
 */
public final class KafkaIO {
  private KafkaIO() {}

  /** Where a partition with no checkpointed position starts. */
  public enum StartingOffsets {
    /** The partition's first offset (the default). */
    EARLIEST,
    /** The partition's end at the run's first epoch; resolved once and logged. */
    LATEST,
    /** The offsets given to {@link Read#withStartingOffsets(Map)}; earliest for others. */
    SPECIFIC
  }

  public static <K, V> Read<K, V> read() {
    return new Read<>(new ReadSpec<>());
  }

  public static <K, V> Write<K, V> write() {
    return new Write<>(new WriteSpec<>());
  }

  /**
   * A {@link PTransform} reading Kafka records. Required: bootstrap servers, topics or a topic
   * pattern, and key and value deserializers (with coders, unless the deserializers are Kafka's
   * String, Long, Integer, Double or ByteArray ones).
   */
  public static final class Read<K, V>
      extends PTransform<PBegin, PCollection<KafkaRecord<K, V>>> {
    private final ReadSpec<K, V> spec;

    private Read(ReadSpec<K, V> spec) {
      this.spec = spec;
    }

    private Read<K, V> with(Consumer<ReadSpec<K, V>> change) {
      ReadSpec<K, V> copy = spec.copy();
      change.accept(copy);
      return new Read<>(copy);
    }

    /** Kafka's {@code bootstrap.servers}, e.g. {@code "localhost:9092"}. */
    public Read<K, V> withBootstrapServers(String bootstrapServers) {
      return with(s -> s.bootstrapServers = bootstrapServers);
    }

    public Read<K, V> withTopic(String topic) {
      return withTopics(List.of(topic));
    }

    public Read<K, V> withTopics(List<String> topics) {
      return with(
          s -> {
            s.topics = new ArrayList<>(topics);
            s.topicPattern = null;
          });
    }

    /** Every topic whose whole name matches the Java regular expression, now and later. */
    public Read<K, V> withTopicPattern(String pattern) {
      return with(
          s -> {
            s.topicPattern = pattern;
            s.topics = null;
          });
    }

    public Read<K, V> withKeyDeserializer(Class<? extends Deserializer<K>> deserializer) {
      return with(
          s -> {
            s.keyDeserializer = deserializer;
            s.keyCoder = s.keyCoder != null ? s.keyCoder : defaultCoder(deserializer);
          });
    }

    public Read<K, V> withValueDeserializer(Class<? extends Deserializer<V>> deserializer) {
      return with(
          s -> {
            s.valueDeserializer = deserializer;
            s.valueCoder = s.valueCoder != null ? s.valueCoder : defaultCoder(deserializer);
          });
    }

    public Read<K, V> withKeyDeserializerAndCoder(
        Class<? extends Deserializer<K>> deserializer, Coder<K> coder) {
      return with(
          s -> {
            s.keyDeserializer = deserializer;
            s.keyCoder = coder;
          });
    }

    public Read<K, V> withValueDeserializerAndCoder(
        Class<? extends Deserializer<V>> deserializer, Coder<V> coder) {
      return with(
          s -> {
            s.valueDeserializer = deserializer;
            s.valueCoder = coder;
          });
    }

    /** Earliest (the default) or latest for partitions without a checkpointed position. */
    public Read<K, V> withStartingOffsets(StartingOffsets offsets) {
      if (offsets == StartingOffsets.SPECIFIC) {
        throw new IllegalArgumentException("give the offsets: withStartingOffsets(Map)");
      }
      return with(s -> s.startingOffsets = offsets);
    }

    /**
     * Start offsets per partition, keyed {@code "topic-partition"} (e.g. {@code "flights-0"});
     * partitions not listed start at their earliest offset.
     */
    public Read<K, V> withStartingOffsets(Map<String, Long> offsets) {
      return with(
          s -> {
            s.startingOffsets = StartingOffsets.SPECIFIC;
            s.explicitStartingOffsets = new java.util.HashMap<>(offsets);
          });
    }

    /**
     * Extra consumer properties. {@code isolation.level}, {@code enable.auto.commit}, the
     * deserializers and {@code group.id} are set by the source and cannot be overridden.
     */
    public Read<K, V> withConsumerConfig(Map<String, String> config) {
      return with(s -> s.consumerConfig.putAll(config));
    }

    /** Event time of a record; default: its Kafka timestamp. */
    public Read<K, V> withTimestampFn(SerializableFunction<KafkaRecord<K, V>, Instant> fn) {
      return with(s -> s.timestampFn = fn);
    }

    /** How far behind the largest event time seen a partition's watermark stays; default 0. */
    public Read<K, V> withMaxOutOfOrderness(Duration maxOutOfOrderness) {
      return with(s -> s.maxOutOfOrdernessMillis = maxOutOfOrderness.getMillis());
    }

    /**
     * At most this many records per epoch from this source (split evenly over its readers), on
     * top of the runner's {@code --maxRecordsPerBatch}; default unlimited.
     */
    public Read<K, V> withMaxRecordsPerEpoch(long maxRecords) {
      if (maxRecords < 1) {
        throw new IllegalArgumentException("maxRecordsPerEpoch must be >= 1, was " + maxRecords);
      }
      return with(s -> s.maxRecordsPerEpoch = maxRecords);
    }

    /** How often readers look for new partitions; default 10 s. */
    public Read<K, V> withPartitionDiscoveryInterval(Duration interval) {
      return with(s -> s.partitionDiscoveryIntervalMillis = interval.getMillis());
    }

    /**
     * Writes records that fail deserialization to this topic (JSON, see {@link DeadLetter#toJson})
     * exactly-once, instead of failing the pipeline. The topic must exist.
     */
    public Read<K, V> withDeadLetterTopic(String topic) {
      return with(s -> s.deadLetterTopic = topic);
    }

    /**
     * Writes the dead letters of {@link #withDeadLetterTopic} without transactions, as {@link
     * Write#withAtLeastOnce()} does: what RealtimeRunner runs until it has checkpoints (a replay
     * may then write a dead letter twice).
     */
    public Read<K, V> withAtLeastOnceDeadLetters() {
      return with(s -> s.deadLettersExactlyOnce = false);
    }

    /** The records' keys and values only, like Beam's {@code KafkaIO.Read#withoutMetadata()}. */
    public PTransform<PBegin, PCollection<KV<K, V>>> withoutMetadata() {
      Read<K, V> read = this;
      return new PTransform<>() {
        @Override
        public PCollection<KV<K, V>> expand(PBegin input) {
          return input
              .apply(read)
              .apply(
                  "WithoutMetadata",
                  MapElements.via(
                      new org.apache.beam.sdk.transforms.SimpleFunction<
                          KafkaRecord<K, V>, KV<K, V>>() {
                        @Override
                        public KV<K, V> apply(KafkaRecord<K, V> record) {
                          return record.toKV();
                        }
                      }))
              .setCoder(
                  KvCoder.of(
                      NullableCoder.of(read.spec.keyCoder),
                      NullableCoder.of(read.spec.valueCoder)));
        }
      };
    }

    /** The unsplit source this read expands to. */
    KafkaSource<K, V> source() {
      return new KafkaSource<>(spec, 0, 1);
    }

    @Override
    public PCollection<KafkaRecord<K, V>> expand(PBegin input) {
      validate();
      TupleTag<KafkaRecord<K, V>> records = new TupleTag<>() {};
      TupleTag<DeadLetter> deadLetters = new TupleTag<>() {};
      PCollectionTuple parts =
          input
              .apply("ReadFromKafka", org.apache.beam.sdk.io.Read.from(source()))
              .apply(
                  "SplitDeadLetters",
                  ParDo.of(new SplitDeadLetters<K, V>(records, deadLetters))
                      .withOutputTags(records, TupleTagList.of(deadLetters)));
      PCollection<DeadLetter> dead =
          parts.get(deadLetters).setCoder(org.apache.beam.sdk.coders.SerializableCoder.of(DeadLetter.class));
      if (spec.deadLetterTopic != null) {
        Write<byte[], byte[]> write =
            KafkaIO.<byte[], byte[]>write()
                .withBootstrapServers(spec.bootstrapServers)
                .withTopic(spec.deadLetterTopic)
                .withKeySerializer(ByteArraySerializer.class)
                .withValueSerializer(ByteArraySerializer.class)
                .withTransactionalIdPrefix("beamline-dead-letters-" + spec.deadLetterTopic);
        dead.apply(
                "DeadLetterJson",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptor.of(byte[].class), TypeDescriptor.of(byte[].class)))
                    .via(d -> KV.of((byte[]) null, d.toJson())))
            .setCoder(KvCoder.of(NullableCoder.of(ByteArrayCoder.of()), ByteArrayCoder.of()))
            .apply("WriteDeadLetters", spec.deadLettersExactlyOnce ? write : write.withAtLeastOnce());
      } else {
        dead.apply("FailOnDeadLetter", ParDo.of(new FailOnDeadLetter()));
      }
      return parts.get(records).setCoder(KafkaRecord.RecordCoder.of(spec.keyCoder, spec.valueCoder));
    }

    private void validate() {
      if (spec.bootstrapServers == null) {
        throw new IllegalArgumentException("KafkaIO.read() needs withBootstrapServers");
      }
      if (spec.topics == null && spec.topicPattern == null) {
        throw new IllegalArgumentException("KafkaIO.read() needs withTopics or withTopicPattern");
      }
      if (spec.keyDeserializer == null || spec.valueDeserializer == null) {
        throw new IllegalArgumentException(
            "KafkaIO.read() needs withKeyDeserializer and withValueDeserializer");
      }
      if (spec.keyCoder == null || spec.valueCoder == null) {
        throw new IllegalArgumentException(
            "KafkaIO.read(): no coder known for "
                + (spec.keyCoder == null ? spec.keyDeserializer : spec.valueDeserializer).getName()
                + "; use withKeyDeserializerAndCoder / withValueDeserializerAndCoder");
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> @Nullable Coder<T> defaultCoder(Class<?> deserializer) {
    Coder<?> coder = null;
    if (deserializer == StringDeserializer.class) {
      coder = StringUtf8Coder.of();
    } else if (deserializer == LongDeserializer.class) {
      coder = VarLongCoder.of();
    } else if (deserializer == IntegerDeserializer.class) {
      coder = VarIntCoder.of();
    } else if (deserializer == DoubleDeserializer.class) {
      coder = DoubleCoder.of();
    } else if (deserializer == ByteArrayDeserializer.class) {
      coder = ByteArrayCoder.of();
    }
    return (Coder<T>) coder;
  }

  /** Sends records to the main output and dead letters to theirs. */
  private static final class SplitDeadLetters<K, V> extends DoFn<SourceRecord<K, V>, KafkaRecord<K, V>> {
    private final TupleTag<KafkaRecord<K, V>> records;
    private final TupleTag<DeadLetter> deadLetters;

    SplitDeadLetters(TupleTag<KafkaRecord<K, V>> records, TupleTag<DeadLetter> deadLetters) {
      this.records = records;
      this.deadLetters = deadLetters;
    }

    @ProcessElement
    public void processElement(@Element SourceRecord<K, V> element, MultiOutputReceiver out) {
      if (element.record() != null) {
        out.get(records).output(element.record());
      } else {
        out.get(deadLetters).output(element.deadLetter());
      }
    }
  }

  /** Without a dead-letter topic, a record that cannot be deserialized fails the pipeline. */
  private static final class FailOnDeadLetter extends DoFn<DeadLetter, Void> {
    @ProcessElement
    public void processElement(@Element DeadLetter deadLetter) {
      throw new IllegalStateException(
          "Kafka record "
              + deadLetter.address()
              + " cannot be deserialized ("
              + deadLetter.error()
              + "); set KafkaIO.read().withDeadLetterTopic(...) to divert such records and keep"
              + " running");
    }
  }

  /**
   * A {@link PTransform} writing {@code KV<K, V>} to one topic, exactly-once by default. Required:
   * bootstrap servers, topic, key and value serializers.
   */
  public static final class Write<K, V> extends PTransform<PCollection<KV<K, V>>, PDone> {
    private final WriteSpec<K, V> spec;

    private Write(WriteSpec<K, V> spec) {
      this.spec = spec;
    }

    private Write<K, V> with(Consumer<WriteSpec<K, V>> change) {
      WriteSpec<K, V> copy = spec.copy();
      change.accept(copy);
      return new Write<>(copy);
    }

    public Write<K, V> withBootstrapServers(String bootstrapServers) {
      return with(s -> s.bootstrapServers = bootstrapServers);
    }

    /** The output topic; it must exist (partition 0 of it also holds the shards' markers). */
    public Write<K, V> withTopic(String topic) {
      return with(s -> s.topic = topic);
    }

    public Write<K, V> withKeySerializer(Class<? extends Serializer<K>> serializer) {
      return with(s -> s.keySerializer = serializer);
    }

    public Write<K, V> withValueSerializer(Class<? extends Serializer<V>> serializer) {
      return with(s -> s.valueSerializer = serializer);
    }

    /**
     * Extra producer properties. Idempotence, {@code acks=all}, the transactional id and the
     * serializers are set by the sink.
     */
    public Write<K, V> withProducerConfig(Map<String, String> config) {
      return with(s -> s.producerConfig.putAll(config));
    }

    /**
     * Prefix of the shards' {@code transactional.id}s and marker groups; default {@code
     * beamline-<topic>}. It must be stable across restarts of a job and unique among the jobs
     * writing to the cluster: two jobs with the same prefix fence each other.
     */
    public Write<K, V> withTransactionalIdPrefix(String prefix) {
      return with(s -> s.transactionalIdPrefix = prefix);
    }

    /**
     * The producers' {@code transaction.timeout.ms}: at least the longest epoch plus its commit,
     * at most the broker's {@code transaction.max.timeout.ms} (15 min by default); default 60 s.
     * It only bounds how long a crashed run's open transaction blocks {@code read_committed}
     * readers if no restart fences it; correctness does not depend on it.
     */
    public Write<K, V> withTransactionTimeout(Duration timeout) {
      return with(s -> s.transactionTimeoutMillis = timeout.getMillis());
    }

    /**
     * Writes without transactions: every record at least once, duplicates after a replay. An
     * idempotent producer ({@code acks=all}) sends each record as it comes; a failed send fails the
     * bundle that sent it. The producer is flushed at the end of every bundle, or on RealtimeRunner
     * at its commit points (the end of a task's input), since it commits nothing per bundle (see
     * {@link io.beamline.sdk.io.DeferredFlush}).
     */
    public Write<K, V> withAtLeastOnce() {
      return with(s -> s.exactlyOnce = false);
    }

    /** Gives each Kafka record the element's event timestamp (default: the producer's clock). */
    public Write<K, V> withInputTimestamp() {
      return with(s -> s.useInputTimestamp = true);
    }

    @Override
    public PDone expand(PCollection<KV<K, V>> input) {
      if (spec.bootstrapServers == null || spec.topic == null) {
        throw new IllegalArgumentException("KafkaIO.write() needs withBootstrapServers and withTopic");
      }
      if (spec.keySerializer == null || spec.valueSerializer == null) {
        throw new IllegalArgumentException(
            "KafkaIO.write() needs withKeySerializer and withValueSerializer");
      }
      WriteSpec<K, V> resolved = spec.copy();
      if (resolved.transactionalIdPrefix == null) {
        resolved.transactionalIdPrefix = "beamline-" + resolved.topic;
      }
      input.apply("WriteToKafka", ParDo.of(new KafkaWriteFn<>(resolved)));
      return PDone.in(input.getPipeline());
    }
  }
}
