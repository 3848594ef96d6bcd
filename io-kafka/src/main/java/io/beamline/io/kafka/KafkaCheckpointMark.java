package io.beamline.io.kafka;

import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.DelegateCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.UnboundedSource;

/**
 * The position of one Kafka reader: per partition ({@code topic-partition}), the offset of the next
 * record to read. Offsets are never committed to Kafka: positions live in the runner's checkpoint
 * (its offset log), so {@link #finalizeCheckpoint()} does nothing.
 */
final class KafkaCheckpointMark implements UnboundedSource.CheckpointMark {
  final Map<String, Long> positions;

  KafkaCheckpointMark(Map<String, Long> positions) {
    this.positions = new TreeMap<>(positions);
  }

  static Coder<KafkaCheckpointMark> coder() {
    return DelegateCoder.of(
        MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of()),
        mark -> mark.positions,
        KafkaCheckpointMark::new);
  }

  @Override
  public void finalizeCheckpoint() {}

  @Override
  public String toString() {
    return positions.toString();
  }
}
