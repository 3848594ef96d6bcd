package io.beamline.io.kafka;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A Kafka record that could not be read: its address, the error, and its raw key and value bytes,
 * so that nothing is lost. Written to the dead-letter topic as the JSON of {@link #toJson()}.
 *
 * @param timestamp the record's Kafka timestamp, ms since the epoch
 * @param error the exception's class and message, e.g. {@code
 *     org.apache.kafka.common.errors.SerializationException: Size of data received by
 *     LongDeserializer is not 8}
 */
public record DeadLetter(
    String topic,
    int partition,
    long offset,
    long timestamp,
    String error,
    byte @Nullable [] key,
    byte @Nullable [] value)
    implements Serializable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * {@code {"topic","partition","offset","timestamp","error","key","value"}} with key and value in
   * Base64 (null if absent), as UTF-8 bytes.
   */
  public byte[] toJson() {
    ObjectNode node = JSON.createObjectNode();
    node.put("topic", topic);
    node.put("partition", partition);
    node.put("offset", offset);
    node.put("timestamp", timestamp);
    node.put("error", error);
    node.put("key", key == null ? null : Base64.getEncoder().encodeToString(key));
    node.put("value", value == null ? null : Base64.getEncoder().encodeToString(value));
    return node.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** {@code topic-partition@offset}. */
  public String address() {
    return topic + "-" + partition + "@" + offset;
  }
}
