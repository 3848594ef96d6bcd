package io.beamline.sdk.internal.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.io.OffsetRangeReader;
import java.io.IOException;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource.CheckpointMark;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.SerializableUtils;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * One split of an {@link UnboundedSource} in {@code offsets/N} (docs/checkpoints.md): its
 * sub-source (Java-serialized, Base64), the checkpoint marks it started and ended the epoch at
 * (encoded with the source's {@code getCheckpointMarkCoder()}, Base64; {@code null} for the
 * beginning), the records read between them, its watermark and, for an {@link OffsetRangeReader},
 * whether it was idle and its per-partition {@code [start, end)} range. Written and read by both
 * runners, so that either resumes the other's offsets.
 */
public final class UnboundedSplitLog {
  private static final Base64.Encoder BASE64 = Base64.getEncoder();
  private static final Base64.Decoder BASE64_DECODER = Base64.getDecoder();

  private UnboundedSplitLog() {}

  /** {@code sub}, Java-serialized and Base64-encoded: a split's {@code serializedSource}. */
  public static String serialize(UnboundedSource<?, ?> sub) {
    return BASE64.encodeToString(SerializableUtils.serializeToByteArray(sub));
  }

  /**
   * A split's entry.
   *
   * @param ranges the split's reader if it reports offset ranges, else null (no {@code idle} and
   *     {@code range} fields)
   * @throws IOException if a mark does not decode with {@code markCoder}
   */
  public static ObjectNode entry(
      String serializedSource,
      byte @Nullable [] startMark,
      long records,
      byte @Nullable [] endMark,
      Instant watermark,
      @Nullable OffsetRangeReader ranges,
      boolean idle,
      Coder<CheckpointMark> markCoder)
      throws IOException {
    ObjectNode s = JsonNodeFactory.instance.objectNode();
    s.put("serializedSource", serializedSource);
    s.put("start", startMark == null ? null : BASE64.encodeToString(startMark));
    s.put("records", records);
    s.put("end", endMark == null ? null : BASE64.encodeToString(endMark));
    s.put("watermark", watermark.getMillis());
    if (ranges != null) {
      s.put("idle", idle);
      s.set("range", rangeOf(ranges, startMark, endMark, markCoder));
    }
    return s;
  }

  /** Per partition, {@code [start, end)} offsets: the explicit range of the epoch, for people. */
  private static ObjectNode rangeOf(
      OffsetRangeReader ranges,
      byte @Nullable [] startMark,
      byte @Nullable [] endMark,
      Coder<CheckpointMark> markCoder)
      throws IOException {
    ObjectNode range = JsonNodeFactory.instance.objectNode();
    Map<String, Long> start =
        startMark == null ? Map.of() : ranges.positions(decode(markCoder, startMark));
    Map<String, Long> end = endMark == null ? Map.of() : ranges.positions(decode(markCoder, endMark));
    for (Map.Entry<String, Long> e : new TreeMap<>(end).entrySet()) {
      range.putArray(e.getKey()).add(start.getOrDefault(e.getKey(), e.getValue())).add(e.getValue());
    }
    return range;
  }

  /**
   * The sub-source an entry logged.
   *
   * @throws IllegalArgumentException if it does not deserialize (naming {@code stepName})
   */
  @SuppressWarnings("unchecked")
  public static UnboundedSource<Object, CheckpointMark> subSource(JsonNode entry, String stepName) {
    return (UnboundedSource<Object, CheckpointMark>)
        SerializableUtils.deserializeFromByteArray(
            BASE64_DECODER.decode(entry.path("serializedSource").asText()),
            "sub-source of " + stepName);
  }

  /** The encoded mark an entry logged as {@code which} ({@code "start"} or {@code "end"}), or null. */
  public static byte @Nullable [] mark(JsonNode entry, String which) {
    JsonNode mark = entry.path(which);
    return mark.isNull() || mark.isMissingNode() ? null : BASE64_DECODER.decode(mark.asText());
  }

  /**
   * {@code mark} decoded, or null for null.
   *
   * @throws IOException if it does not decode with {@code markCoder}
   */
  public static @Nullable CheckpointMark decode(Coder<CheckpointMark> markCoder, byte @Nullable [] mark)
      throws IOException {
    return mark == null ? null : CoderUtils.decodeFromByteArray(markCoder, mark);
  }

  /** The watermark an entry logged. */
  public static Instant watermark(JsonNode entry) {
    return new Instant(entry.path("watermark").asLong());
  }

  /** Whether an entry logged its reader as idle (false if it did not say). */
  public static boolean idle(JsonNode entry) {
    return entry.path("idle").asBoolean(false);
  }
}
