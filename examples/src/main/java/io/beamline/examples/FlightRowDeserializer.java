package io.beamline.examples;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Value deserializer of the streaming job's input topic: the record's UTF-8 text, accepted only if
 * it is a valid flight by the rules of {@link ParseFlightFn} (or a control record of the replayer,
 * marked with the {@link FlightReplay#CONTROL_HEADER} header).
 *
 * <p>A record it rejects makes Beamline's {@code KafkaIO.read()} produce a dead letter, which the
 * job's {@code withDeadLetterTopic} writes to the dead-letter topic with the record's address and
 * the reason ({@code SerializationException: malformed flight: bad date …}); the pipeline goes on.
 * Because the check is the analytics' own parser, every record that passes it is parsed by {@link
 * FlightDelayAnalytics} without a dead letter there.
 */
public final class FlightRowDeserializer implements Deserializer<String> {

  @Override
  public String deserialize(String topic, byte[] data) {
    return deserialize(topic, null, data);
  }

  @Override
  public String deserialize(String topic, Headers headers, byte[] data) {
    if (data == null) {
      return null;
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(data))
              .toString();
    } catch (CharacterCodingException e) {
      throw new SerializationException("malformed flight: not valid UTF-8");
    }
    if (headers != null && headers.lastHeader(FlightReplay.CONTROL_HEADER) != null) {
      return text;
    }
    try {
      ParseFlightFn.parse(text);
    } catch (ParseFlightFn.MalformedRowException e) {
      throw new SerializationException("malformed flight: " + e.getMessage());
    }
    return text;
  }
}
