package io.beamline.examples;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Unit tests of the flight-delay job on the DirectRunner with small hand-made inputs. Expected
 * values are worked out by hand in the comments, not computed by the code under test.
 */
@RunWith(JUnit4.class)
public class FlightDelaysTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  private static String row(String date, Object delay, String origin) {
    return String.format(
        "{\"date\":\"%s\",\"delay\":%s,\"distance\":300,\"origin\":\"%s\",\"destination\":\"XYZ\"}",
        date, delay, origin);
  }

  @Test
  public void parseSendsMalformedRowsToDeadLetterWithReason() {
    Map<String, String> malformed = new HashMap<>();
    malformed.put("not json", "unparseable JSON: Unrecognized token 'not'");
    malformed.put("[1,2]", "not a JSON object");
    malformed.put("{\"date\":\"2001/01/01 10:05\"} trailing", "unparseable JSON");
    malformed.put(
        "{\"date\":\"2001/01/01 10:05\",\"delay\":12,\"distance\":300,\"origin\":\"SFO\"}",
        "missing field 'destination'");
    malformed.put(row("2001/01/01 10:05", "null", "SFO"), "missing field 'delay'");
    malformed.put(row("2001/01/01 10:05", "\"late\"", "SFO"), "field 'delay' is not an integer");
    malformed.put(row("2001/01/01 10:05", "12.5", "SFO"), "field 'delay' is not an integer");
    malformed.put(row("2001/01/01 10:05", 12, ""), "field 'origin' is not a non-empty string");
    malformed.put(
        row("2001-01-01 10:05", 12, "SFO"),
        "bad date '2001-01-01 10:05', expected yyyy/MM/dd HH:mm");
    malformed.put(
        row("2001/02/30 10:05", 12, "SFO"),
        "bad date '2001/02/30 10:05', expected yyyy/MM/dd HH:mm");
    List<String> rows = new ArrayList<>(malformed.keySet());
    rows.add(row("2001/01/01 10:05", -3, "SFO"));

    PCollectionTuple parsed =
        pipeline
            .apply(Create.of(rows).withCoder(StringUtf8Coder.of()))
            .apply(
                ParDo.of(new ParseFlightFn())
                    .withOutputTags(
                        ParseFlightFn.PARSED, TupleTagList.of(ParseFlightFn.DEAD_LETTER)));
    PCollection<Flight> flights = parsed.get(ParseFlightFn.PARSED).setCoder(Flight.CODER);

    PAssert.that(flights.apply(Reify.timestamps()))
        .containsInAnyOrder(
            TimestampedValue.of(
                new Flight(978343500000L, -3, 300, "SFO", "XYZ"), // 2001-01-01T10:05:00Z
                Instant.parse("2001-01-01T10:05:00Z")));
    PAssert.that(parsed.get(ParseFlightFn.DEAD_LETTER))
        .satisfies(
            lines -> {
              Map<String, String> reasons = new HashMap<>();
              lines.forEach(line -> reasons.put(field(line, "raw"), field(line, "reason")));
              assertEquals(malformed.keySet(), reasons.keySet());
              malformed.forEach(
                  (raw, reason) -> assertThat(raw, reasons.get(raw), startsWith(reason)));
              return null;
            });

    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    assertEquals(malformed.size(), counter(result, "malformedRecords"));
    assertEquals(1, counter(result, "parsedRecords"));
  }

  @Test
  public void hourlyStatsAndDailyRankingOfHandMadeFlights() {
    List<String> rows = new ArrayList<>();
    // SFO 10:00-11:00, ten delays: sum 380 -> mean 38; sorted -5 0 15 20 30 40 50 60 70 100,
    // nearest rank ceil(0.9 * 10) = 9 -> 70; over 15: 20..100 = 7 of 10 (15 itself is not).
    for (int delay : new int[] {40, -5, 100, 0, 15, 70, 20, 60, 30, 50}) {
      rows.add(row("2001/01/01 10:59", delay, "SFO"));
    }
    // SFO 11:00-12:00 (11:00 opens the next window): 1 2 2 -> mean 5/3 = 1.6667, rank 3 -> 2.
    rows.add(row("2001/01/01 11:00", 1, "SFO"));
    rows.add(row("2001/01/01 11:30", 2, "SFO"));
    rows.add(row("2001/01/01 11:45", 2, "SFO"));
    rows.add(row("2001/01/01 10:30", 16, "LAX"));
    // JFK 23:00-24:00: -1 -1 -2 -> mean -4/3 = -1.3333; sorted -2 -1 -1, rank 3 -> -1.
    rows.add(row("2001/01/01 23:10", -1, "JFK"));
    rows.add(row("2001/01/01 23:20", -2, "JFK"));
    rows.add(row("2001/01/01 23:59", -1, "JFK"));

    PCollectionTuple results =
        pipeline
            .apply(Create.of(rows).withCoder(StringUtf8Coder.of()))
            .apply(FlightDelayAnalytics.withMinDailyFlights(1));

    String h10 = window("2001-01-01T10:00:00.000Z", "2001-01-01T11:00:00.000Z");
    String h11 = window("2001-01-01T11:00:00.000Z", "2001-01-01T12:00:00.000Z");
    String h23 = window("2001-01-01T23:00:00.000Z", "2001-01-02T00:00:00.000Z");
    PAssert.that(results.get(FlightDelayAnalytics.HOURLY_BY_ORIGIN))
        .containsInAnyOrder(
            "{" + h10 + ",\"origin\":\"SFO\",\"flights\":10,\"meanDelayMin\":38.0000,"
                + "\"p90DelayMin\":70,\"delayedOver15Share\":0.7000}",
            "{" + h11 + ",\"origin\":\"SFO\",\"flights\":3,\"meanDelayMin\":1.6667,"
                + "\"p90DelayMin\":2,\"delayedOver15Share\":0.0000}",
            "{" + h10 + ",\"origin\":\"LAX\",\"flights\":1,\"meanDelayMin\":16.0000,"
                + "\"p90DelayMin\":16,\"delayedOver15Share\":1.0000}",
            "{" + h23 + ",\"origin\":\"JFK\",\"flights\":3,\"meanDelayMin\":-1.3333,"
                + "\"p90DelayMin\":-1,\"delayedOver15Share\":0.0000}");

    // The whole day: SFO 13 flights, sum 385 -> 29.6154; sorted -5 0 1 2 2 15 20 30 40 50 60 70
    // 100, rank ceil(11.7) = 12 -> 70; over 15: 7 of 13 = 0.5385. Then LAX (16), then JFK.
    String day =
        "{\"day\":\"2001-01-01\",\"windowStart\":\"2001-01-01T00:00:00.000Z\","
            + "\"windowEnd\":\"2001-01-02T00:00:00.000Z\",";
    PAssert.that(results.get(FlightDelayAnalytics.DAILY_TOP))
        .containsInAnyOrder(
            day + "\"rank\":1,\"origin\":\"SFO\",\"flights\":13,\"meanDelayMin\":29.6154,"
                + "\"p90DelayMin\":70,\"delayedOver15Share\":0.5385}",
            day + "\"rank\":2,\"origin\":\"LAX\",\"flights\":1,\"meanDelayMin\":16.0000,"
                + "\"p90DelayMin\":16,\"delayedOver15Share\":1.0000}",
            day + "\"rank\":3,\"origin\":\"JFK\",\"flights\":3,\"meanDelayMin\":-1.3333,"
                + "\"p90DelayMin\":-1,\"delayedOver15Share\":0.0000}");
    PAssert.that(results.get(FlightDelayAnalytics.DEAD_LETTER)).empty();
    pipeline.run();
  }

  @Test
  public void dailyTopKeepsTenAndBreaksTiesByAirportCode() {
    List<String> rows = new ArrayList<>();
    // A00..A10 one flight each with delay i; AAA and ZZZ tie with A10 on an exact mean of 10
    // (AAA: (5 + 15) / 2). Ties go alphabetically: "A10" < "AAA" < "ZZZ". A00..A02 fall off.
    for (int i = 0; i <= 10; i++) {
      rows.add(row("2001/01/02 08:00", i, String.format("A%02d", i)));
    }
    rows.add(row("2001/01/02 09:00", 5, "AAA"));
    rows.add(row("2001/01/02 19:00", 15, "AAA"));
    rows.add(row("2001/01/02 12:00", 10, "ZZZ"));
    // Another day, to show rankings are per day window.
    rows.add(row("2001/01/03 00:00", 1, "ZZZ"));

    PCollection<String> top =
        pipeline
            .apply(Create.of(rows).withCoder(StringUtf8Coder.of()))
            .apply(FlightDelayAnalytics.withMinDailyFlights(1))
            .get(FlightDelayAnalytics.DAILY_TOP);

    PAssert.that(top)
        .satisfies(
            lines -> {
              Map<String, Map<Integer, String>> byDay = new TreeMap<>();
              for (String line : lines) {
                byDay
                    .computeIfAbsent(field(line, "day"), d -> new TreeMap<>())
                    .put(Integer.valueOf(field(line, "rank")), field(line, "origin"));
              }
              assertThat(
                  byDay.get("2001-01-02").values(),
                  contains("A10", "AAA", "ZZZ", "A09", "A08", "A07", "A06", "A05", "A04", "A03"));
              assertThat(byDay.get("2001-01-03").values(), contains("ZZZ"));
              assertEquals(2, byDay.size());
              return null;
            });
    pipeline.run();
  }

  @Test
  public void dailyTopRanksOnlyAirportsWithEnoughFlights() {
    PCollection<String> top =
        pipeline
            .apply(
                Create.of(
                        row("2001/01/02 08:00", 300, "ONE"),
                        row("2001/01/02 08:00", 1, "TWO"),
                        row("2001/01/02 09:00", 3, "TWO"))
                    .withCoder(StringUtf8Coder.of()))
            .apply(FlightDelayAnalytics.withMinDailyFlights(2))
            .get(FlightDelayAnalytics.DAILY_TOP);

    PAssert.that(top)
        .containsInAnyOrder(
            "{\"day\":\"2001-01-02\",\"windowStart\":\"2001-01-02T00:00:00.000Z\","
                + "\"windowEnd\":\"2001-01-03T00:00:00.000Z\",\"rank\":1,\"origin\":\"TWO\","
                + "\"flights\":2,\"meanDelayMin\":2.0000,\"p90DelayMin\":3,"
                + "\"delayedOver15Share\":0.0000}");
    pipeline.run();
  }

  @Test
  public void runReadsJsonLinesAndWritesAllOutputsWithSummary() throws IOException {
    Path input = tmp.newFile("flights.jsonl").toPath();
    Files.write(
        input,
        List.of(
            row("2001/01/01 10:05", 20, "SFO"),
            "",
            "{\"date\": broken",
            row("2001/01/01 10:15", 10, "SFO"),
            row("2001/01/02 07:00", 5, "LAX")),
        StandardCharsets.UTF_8);
    Path output = tmp.getRoot().toPath().resolve("out");
    FlightDelaysOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=DirectRunner",
                "--input=" + input,
                "--output=" + output,
                "--minDailyFlights=1")
            .as(FlightDelaysOptions.class);

    JobSummary summary = FlightDelays.run(options);

    assertEquals(3, summary.parsedRecords());
    assertEquals(1, summary.malformedRecords());
    // SFO 10h and LAX 7h; day 1 ranks SFO, day 2 ranks LAX; one broken row.
    assertEquals(2, summary.hourlyLines());
    assertEquals(2, summary.dailyTopLines());
    List<String> deadLetter = JobSummary.readOutputLines(output.resolve("dead-letter"));
    assertThat(deadLetter.size(), is(1));
    assertThat(field(deadLetter.get(0), "raw"), is("{\"date\": broken"));
    assertThat(
        summary.busiestDay(),
        is(
            "2001-01-01 with 2 departures; most delayed origin: SFO,"
                + " mean delay 15.0000 min over 2 departures"));
    assertThat(summary.describe(), startsWith("Flight delays on DirectRunner finished in "));
  }

  @Test
  public void bundledInputIsTheWholeJsonArray() throws IOException {
    List<String> rows = InputRows.read(FlightDelays.BUNDLED_INPUT);
    assertEquals(20_000, rows.size());
    assertEquals(
        "{\"date\":\"2001/01/01 00:47\",\"delay\":66,\"distance\":1750,"
            + "\"origin\":\"DTW\",\"destination\":\"LAS\"}",
        rows.get(0));
  }

  @Test
  public void emptyJsonLinesInputGivesNoRows() throws IOException {
    Path input = tmp.newFile("empty.jsonl").toPath();
    assertThat(InputRows.read(input.toString()), empty());
  }

  private static String window(String start, String end) {
    return "\"windowStart\":\"" + start + "\",\"windowEnd\":\"" + end + "\"";
  }

  private static String field(String jsonLine, String name) {
    try {
      JsonNode node = JSON.readTree(jsonLine);
      return node.get(name).asText();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long counter(PipelineResult result, String name) {
    MetricsFilter filter =
        MetricsFilter.builder().addNameFilter(MetricNameFilter.named("flights", name)).build();
    long total = 0;
    for (MetricResult<Long> counter : result.metrics().queryMetrics(filter).getCounters()) {
      total += counter.getCommitted();
    }
    return total;
  }
}
