package io.beamline.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Parses one flight, given as the text of one JSON object, into a {@link Flight} timestamped by its
 * departure time.
 *
 * <p>Outputs: valid rows go to {@link #PARSED}; every other row goes to {@link #DEAD_LETTER} as one
 * JSON line {@code {"raw":<the input text>,"reason":<why it was rejected>}} — no row is dropped.
 * Counters {@code flights/parsedRecords} and {@code flights/malformedRecords} count both outputs.
 *
 * <p>A row is malformed when it is not one JSON object, when a field is missing or {@code null},
 * when {@code delay} or {@code distance} is not an integer, when {@code origin} or {@code
 * destination} is not a non-empty string, or when {@code date} is not a valid {@code yyyy/MM/dd
 * HH:mm} time. The date is local wall-clock time in the data; it is read as UTC.
 */
public class ParseFlightFn extends DoFn<String, Flight> {

  /** Main output: the parsed flights, each timestamped by its departure. */
  public static final TupleTag<Flight> PARSED = new TupleTag<Flight>() {};

  /** Dead-letter output: one {@code {"raw":...,"reason":...}} JSON line per malformed row. */
  public static final TupleTag<String> DEAD_LETTER = new TupleTag<String>() {};

  /** Metric namespace of the counters. */
  public static final String METRICS_NAMESPACE = "flights";

  static final DateTimeFormatter DATE_FORMAT =
      DateTimeFormatter.ofPattern("uuuu/MM/dd HH:mm").withResolverStyle(ResolverStyle.STRICT);

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final Counter parsed = Metrics.counter(METRICS_NAMESPACE, "parsedRecords");
  private final Counter malformed = Metrics.counter(METRICS_NAMESPACE, "malformedRecords");

  @ProcessElement
  public void processElement(@Element String raw, MultiOutputReceiver out) {
    try {
      Flight flight = parse(raw);
      parsed.inc();
      out.get(PARSED).outputWithTimestamp(flight, flight.departure());
    } catch (MalformedRowException e) {
      malformed.inc();
      out.get(DEAD_LETTER).output(deadLetterLine(raw, e.getMessage()));
    }
  }

  /**
   * Parses one JSON object into a flight.
   *
   * @throws MalformedRowException with a one-line reason when the row is malformed
   */
  static Flight parse(String raw) throws MalformedRowException {
    JsonNode node;
    try {
      node = JSON.readTree(raw);
    } catch (JsonProcessingException e) {
      throw new MalformedRowException("unparseable JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new MalformedRowException("not a JSON object");
    }
    String date = text(node, "date");
    int delay = integer(node, "delay");
    int distance = integer(node, "distance");
    String origin = text(node, "origin");
    String destination = text(node, "destination");
    return new Flight(departureMillis(date), delay, distance, origin, destination);
  }

  /** Formats a dead-letter line; keys in a fixed order. */
  static String deadLetterLine(String raw, String reason) {
    return new JsonLine().put("raw", raw).put("reason", reason).build();
  }

  private static JsonNode field(JsonNode node, String name) throws MalformedRowException {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      throw new MalformedRowException("missing field '" + name + "'");
    }
    return value;
  }

  private static String text(JsonNode node, String name) throws MalformedRowException {
    JsonNode value = field(node, name);
    if (!value.isTextual() || value.asText().isEmpty()) {
      throw new MalformedRowException("field '" + name + "' is not a non-empty string");
    }
    return value.asText();
  }

  private static int integer(JsonNode node, String name) throws MalformedRowException {
    JsonNode value = field(node, name);
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw new MalformedRowException("field '" + name + "' is not an integer");
    }
    return value.intValue();
  }

  private static long departureMillis(String date) throws MalformedRowException {
    try {
      return LocalDateTime.parse(date, DATE_FORMAT).toInstant(ZoneOffset.UTC).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new MalformedRowException("bad date '" + date + "', expected yyyy/MM/dd HH:mm");
    }
  }

  /** A row that cannot become a {@link Flight}; the message is the dead-letter reason. */
  static final class MalformedRowException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedRowException(String reason) {
      super(reason, null, false, false);
    }
  }
}
