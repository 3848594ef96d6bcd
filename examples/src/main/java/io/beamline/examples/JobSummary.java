package io.beamline.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * What a finished {@link FlightDelays} run produced, read back from the pipeline's metrics and
 * from the files it wrote.
 *
 * @param runner simple class name of the runner
 * @param outputDir absolute {@code --output} directory
 * @param parsedRecords counter {@code flights/parsedRecords}; -1 if the runner reports no metrics
 * @param malformedRecords counter {@code flights/malformedRecords}; -1 if the runner reports no
 *     metrics
 * @param hourlyLines lines written to {@code hourly-by-origin}
 * @param dailyTopLines lines written to {@code daily-top10}
 * @param deadLetterLines lines written to {@code dead-letter}
 * @param busiestDay the day with the most departures and its most-delayed origin, as text
 * @param elapsed wall-clock time from {@code run()} until the pipeline finished
 */
public record JobSummary(
    String runner,
    Path outputDir,
    long parsedRecords,
    long malformedRecords,
    long hourlyLines,
    long dailyTopLines,
    long deadLetterLines,
    String busiestDay,
    Duration elapsed) {

  private static final ObjectMapper JSON = new ObjectMapper();

  static JobSummary of(
      PipelineResult result, FlightDelaysOptions options, Path outputDir, Duration elapsed)
      throws IOException {
    List<String> hourly = readOutputLines(outputDir.resolve(FlightDelays.HOURLY_DIR));
    List<String> dailyTop = readOutputLines(outputDir.resolve(FlightDelays.DAILY_TOP_DIR));
    List<String> deadLetter = readOutputLines(outputDir.resolve(FlightDelays.DEAD_LETTER_DIR));
    return new JobSummary(
        options.getRunner().getSimpleName(),
        outputDir,
        counter(result, "parsedRecords"),
        counter(result, "malformedRecords"),
        hourly.size(),
        dailyTop.size(),
        deadLetter.size(),
        busiestDay(hourly, dailyTop),
        elapsed);
  }

  /** The summary printed at the end of {@link FlightDelays#main}. */
  public String describe() {
    return String.join(
        System.lineSeparator(),
        String.format(
            Locale.ROOT,
            "Flight delays on %s finished in %.1f s: %s rows parsed, %s malformed.",
            runner, elapsed.toMillis() / 1000.0, metric(parsedRecords), metric(malformedRecords)),
        "Results written to " + outputDir + ":",
        String.format(
            "  %-18s %6d lines  per origin airport and hour", FlightDelays.HOURLY_DIR + "/",
            hourlyLines),
        String.format(
            "  %-18s %6d lines  %d most-delayed origins per day", FlightDelays.DAILY_TOP_DIR + "/",
            dailyTopLines, FlightDelayAnalytics.TOP_N),
        String.format(
            "  %-18s %6d lines  malformed input rows with the reason",
            FlightDelays.DEAD_LETTER_DIR + "/", deadLetterLines),
        "Busiest day: " + busiestDay);
  }

  /**
   * All lines of the files in an output directory, skipping hidden files (Beam's temporary
   * files); empty if the directory does not exist. Files are read in name order.
   */
  public static List<String> readOutputLines(Path dir) throws IOException {
    List<String> lines = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return lines;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.sorted().toList()) {
        if (Files.isRegularFile(file) && !file.getFileName().toString().startsWith(".")) {
          lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
        }
      }
    }
    return lines;
  }

  private static long counter(PipelineResult result, String name) {
    MetricsFilter filter =
        MetricsFilter.builder()
            .addNameFilter(MetricNameFilter.named(ParseFlightFn.METRICS_NAMESPACE, name))
            .build();
    long total = 0;
    try {
      for (MetricResult<Long> counter : result.metrics().queryMetrics(filter).getCounters()) {
        total += counter.hasCommitted() ? counter.getCommitted() : counter.getAttempted();
      }
    } catch (UnsupportedOperationException e) {
      return -1;
    }
    return total;
  }

  private static String metric(long value) {
    return value < 0 ? "(no metrics)" : Long.toString(value);
  }

  /** The day with most departures (the earliest on a tie) and its rank-1 origin, as text. */
  static String busiestDay(List<String> hourly, List<String> dailyTop) throws IOException {
    Map<String, Long> flightsPerDay = new TreeMap<>();
    for (String line : hourly) {
      JsonNode row = JSON.readTree(line);
      String day = row.get("windowStart").asText().substring(0, 10);
      flightsPerDay.merge(day, row.get("flights").asLong(), Long::sum);
    }
    String busiest = null;
    for (Map.Entry<String, Long> day : flightsPerDay.entrySet()) {
      if (busiest == null || day.getValue() > flightsPerDay.get(busiest)) {
        busiest = day.getKey();
      }
    }
    if (busiest == null) {
      return "none (no flights parsed)";
    }
    String text = busiest + " with " + flightsPerDay.get(busiest) + " departures";
    for (String line : dailyTop) {
      JsonNode row = JSON.readTree(line);
      if (row.get("day").asText().equals(busiest) && row.get("rank").asInt() == 1) {
        return String.format(
            Locale.ROOT,
            "%s; most delayed origin: %s, mean delay %.4f min over %d departures",
            text, row.get("origin").asText(), row.get("meanDelayMin").asDouble(),
            row.get("flights").asLong());
      }
    }
    return text + "; no origin had enough departures to be ranked";
  }
}
