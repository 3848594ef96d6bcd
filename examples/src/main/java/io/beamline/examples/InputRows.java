package io.beamline.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the job's input in the driver and splits it into one JSON object text per flight, in file
 * order. Fine for the bundled 20,000 rows (1.8 MB); a larger data set would want a file-based
 * source instead.
 *
 * <p>Two layouts are accepted: a JSON array of objects (the published data set), or JSON lines,
 * one object per line with blank lines ignored. Only JSON lines can carry rows that are not valid
 * JSON; each such line becomes a dead-letter record of the job. A JSON array that cannot be parsed
 * fails the job, since its rows cannot be told apart.
 */
final class InputRows {
  private static final String CLASSPATH_PREFIX = "classpath:";
  private static final ObjectMapper JSON = new ObjectMapper();

  private InputRows() {}

  /**
   * Reads {@code input}, a file path or {@code classpath:<resource>}.
   *
   * @throws FileNotFoundException if the file or resource does not exist
   * @throws IOException if it cannot be read, or starts with {@code [} but is no JSON array
   */
  static List<String> read(String input) throws IOException {
    String text;
    try (InputStream in = open(input)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    return text.stripLeading().startsWith("[") ? arrayElements(text, input) : lines(text);
  }

  private static InputStream open(String input) throws IOException {
    if (!input.startsWith(CLASSPATH_PREFIX)) {
      return Files.newInputStream(Path.of(input));
    }
    String resource = input.substring(CLASSPATH_PREFIX.length());
    InputStream in = InputRows.class.getClassLoader().getResourceAsStream(resource);
    if (in == null) {
      throw new FileNotFoundException("no resource '" + resource + "' on the class path");
    }
    return in;
  }

  private static List<String> arrayElements(String text, String input) throws IOException {
    JsonNode array;
    try {
      array = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IOException("input " + input + " is not a valid JSON array: " + e.getMessage(), e);
    }
    List<String> rows = new ArrayList<>(array.size());
    array.forEach(element -> rows.add(element.toString()));
    return rows;
  }

  private static List<String> lines(String text) {
    List<String> rows = new ArrayList<>();
    text.lines().filter(line -> !line.isBlank()).forEach(rows::add);
    return rows;
  }
}
