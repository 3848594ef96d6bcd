package io.beamline.examples;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;

/**
 * Builds one JSON object on one line, with the keys in the order they were added and decimals
 * written as plain digits ({@code 38.0000}, never {@code 3.8E+1}), so output lines are byte-stable.
 *
 * <p>Not thread-safe; build one line per instance.
 */
final class JsonLine {
  private static final JsonFactory FACTORY =
      JsonFactory.builder().enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();

  private final StringWriter text = new StringWriter();
  private final JsonGenerator json;

  JsonLine() {
    try {
      json = FACTORY.createGenerator(text);
      json.writeStartObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  JsonLine put(String name, String value) {
    try {
      json.writeStringField(name, value);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  JsonLine put(String name, long value) {
    try {
      json.writeNumberField(name, value);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  JsonLine put(String name, BigDecimal value) {
    try {
      json.writeNumberField(name, value);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Closes the object and returns it; the instance is then spent. */
  String build() {
    try {
      json.writeEndObject();
      json.close();
      return text.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
