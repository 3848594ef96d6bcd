package io.beamline.io.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The unbounded source behind {@link KafkaIO.Read}: split into readers that each own the partitions
 * whose {@link #owner owner index} is theirs — a function of topic and partition only, so a
 * partition created later goes to a fixed reader and no partition ever moves between readers.
 */
final class KafkaSource<K, V> extends UnboundedSource<SourceRecord<K, V>, KafkaCheckpointMark> {
  private static final long serialVersionUID = 1L;

  final ReadSpec<K, V> spec;
  final int splitIndex;
  final int numSplits;

  KafkaSource(ReadSpec<K, V> spec, int splitIndex, int numSplits) {
    this.spec = spec;
    this.splitIndex = splitIndex;
    this.numSplits = numSplits;
  }

  /** The reader index, in {@code [0, numSplits)}, that owns a partition. */
  static int owner(TopicPartition partition, int numSplits) {
    return Math.floorMod(partition.topic().hashCode() * 31 + partition.partition(), numSplits);
  }

  /** Splits into {@code min(desiredNumSplits, partitions)} readers (at least one). */
  @Override
  public List<KafkaSource<K, V>> split(int desiredNumSplits, PipelineOptions options) {
    int partitions;
    try (Consumer<byte[], byte[]> consumer = new KafkaConsumer<>(spec.consumerConfig("split"))) {
      partitions = partitionsOf(consumer).size();
    }
    if (partitions == 0) {
      throw new IllegalArgumentException(
          "KafkaIO.read(): no partitions found for " + spec.describeTopics() + " at "
              + spec.bootstrapServers + "; create the topics first");
    }
    int n = Math.max(1, Math.min(desiredNumSplits, partitions));
    List<KafkaSource<K, V>> splits = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      splits.add(new KafkaSource<>(spec, i, n));
    }
    return splits;
  }

  /** All partitions of the spec's topics (or of the topics matching its pattern) now. */
  List<TopicPartition> partitionsOf(Consumer<?, ?> consumer) {
    List<TopicPartition> result = new ArrayList<>();
    if (spec.topics != null) {
      for (String topic : spec.topics) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic);
        if (infos != null) {
          infos.forEach(info -> result.add(new TopicPartition(topic, info.partition())));
        }
      }
    } else {
      Pattern pattern = Pattern.compile(spec.topicPattern);
      for (Map.Entry<String, List<PartitionInfo>> e : consumer.listTopics().entrySet()) {
        if (pattern.matcher(e.getKey()).matches()) {
          e.getValue().forEach(info -> result.add(new TopicPartition(e.getKey(), info.partition())));
        }
      }
    }
    return result;
  }

  /** The partitions this split owns among {@code all}. */
  List<TopicPartition> owned(List<TopicPartition> all) {
    List<TopicPartition> mine = new ArrayList<>();
    for (TopicPartition p : all) {
      if (owner(p, numSplits) == splitIndex) {
        mine.add(p);
      }
    }
    return mine;
  }

  @Override
  public UnboundedReader<SourceRecord<K, V>> createReader(
      PipelineOptions options, @Nullable KafkaCheckpointMark checkpointMark) {
    return new KafkaReader<>(this, checkpointMark);
  }

  @Override
  public Coder<KafkaCheckpointMark> getCheckpointMarkCoder() {
    return KafkaCheckpointMark.coder();
  }

  @Override
  public Coder<SourceRecord<K, V>> getOutputCoder() {
    return new SourceRecord.RecordOrDeadLetterCoder<>(
        KafkaRecord.RecordCoder.of(spec.keyCoder, spec.valueCoder));
  }

  @Override
  public boolean requiresDeduping() {
    return false;
  }
}
