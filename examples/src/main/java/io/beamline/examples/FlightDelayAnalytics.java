package io.beamline.examples;

import java.io.Serializable;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.DateTimeZone;
import org.joda.time.Duration;

/**
 * The flight-delay analytics, from raw JSON rows to formatted result lines.
 *
 * <p>Input: one flight per element, the text of one JSON object (see {@link ParseFlightFn}).
 * Output: a tuple of three {@code PCollection<String>} of JSON lines, all in the global window:
 *
 * <ul>
 *   <li>{@link #HOURLY_BY_ORIGIN}: per origin airport and fixed 1-hour event-time window, the
 *       number of departures, mean and nearest-rank p90 delay, and share delayed over 15 minutes;
 *   <li>{@link #DAILY_TOP}: per fixed 1-day window, the {@value #TOP_N} origins with the highest
 *       mean delay among those with at least {@code minDailyFlights} departures that day, one line
 *       per rank; ties on the exact mean are broken by airport code, A before Z;
 *   <li>{@link #DEAD_LETTER}: the malformed rows with the reason.
 * </ul>
 *
 * <p>Every number is computed from exact integers (see {@link DelayStats}), so the lines are the
 * same on every runner; only their order within a file is unspecified.
 */
public class FlightDelayAnalytics extends PTransform<PCollection<String>, PCollectionTuple> {

  /** Hourly statistics per origin airport. */
  public static final TupleTag<String> HOURLY_BY_ORIGIN = new TupleTag<String>() {};

  /** Most-delayed origin airports per day. */
  public static final TupleTag<String> DAILY_TOP = new TupleTag<String>() {};

  /** Malformed input rows, as {@code {"raw":...,"reason":...}}. */
  public static final TupleTag<String> DEAD_LETTER = ParseFlightFn.DEAD_LETTER;

  /** How many airports {@link #DAILY_TOP} ranks per day. */
  public static final int TOP_N = 10;

  private final int minDailyFlights;

  private FlightDelayAnalytics(int minDailyFlights) {
    this.minDailyFlights = minDailyFlights;
  }

  /**
   * Creates the transform.
   *
   * @param minDailyFlights an origin is ranked in {@link #DAILY_TOP} only on days with at least
   *     this many departures; 1 ranks every airport
   * @throws IllegalArgumentException if {@code minDailyFlights < 1}
   */
  public static FlightDelayAnalytics withMinDailyFlights(int minDailyFlights) {
    if (minDailyFlights < 1) {
      throw new IllegalArgumentException(
          String.format("minDailyFlights must be at least 1, was %d", minDailyFlights));
    }
    return new FlightDelayAnalytics(minDailyFlights);
  }

  @Override
  public PCollectionTuple expand(PCollection<String> rows) {
    PCollectionTuple parsed =
        rows.apply(
            "ParseFlights",
            ParDo.of(new ParseFlightFn())
                .withOutputTags(ParseFlightFn.PARSED, TupleTagList.of(DEAD_LETTER)));
    parsed.get(ParseFlightFn.PARSED).setCoder(Flight.CODER);
    PCollection<String> deadLetter = parsed.get(DEAD_LETTER).setCoder(StringUtf8Coder.of());

    PCollection<KV<String, Integer>> delayByOrigin =
        parsed
            .get(ParseFlightFn.PARSED)
            .apply(
                "DelayByOrigin",
                MapElements.into(
                        TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.integers()))
                    .via((Flight f) -> KV.of(f.origin(), f.delayMinutes())));

    PCollection<String> hourly =
        delayByOrigin
            .apply("HourlyWindows", Window.into(FixedWindows.of(Duration.standardHours(1))))
            .apply("HourlyStats", Combine.perKey(new DelayStatsFn()))
            .apply("FormatHourly", ParDo.of(new FormatHourlyFn()))
            .apply("HourlyToGlobalWindow", Window.into(new GlobalWindows()));

    PCollection<String> dailyTop =
        delayByOrigin
            .apply("DailyWindows", Window.into(FixedWindows.of(Duration.standardDays(1))))
            .apply("DailyStats", Combine.perKey(new DelayStatsFn()))
            .apply("EnoughFlights", Filter.by(new HasFlights(minDailyFlights)))
            .apply("TopByMeanDelay", Top.of(TOP_N, new ByMeanDelay()).withoutDefaults())
            .apply("FormatDailyTop", ParDo.of(new FormatDailyTopFn()))
            .apply("DailyToGlobalWindow", Window.into(new GlobalWindows()));

    return PCollectionTuple.of(HOURLY_BY_ORIGIN, hourly)
        .and(DAILY_TOP, dailyTop)
        .and(DEAD_LETTER, deadLetter);
  }

  /** Keeps an airport's daily statistics when it had at least {@code min} departures. */
  static final class HasFlights implements SerializableFunction<KV<String, DelayStats>, Boolean> {
    private final int min;

    HasFlights(int min) {
      this.min = min;
    }

    @Override
    public Boolean apply(KV<String, DelayStats> stats) {
      return stats.getValue().flights() >= min;
    }
  }

  /** Higher exact mean delay first; on a tie the alphabetically first airport ranks higher. */
  static final class ByMeanDelay implements Comparator<KV<String, DelayStats>>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(KV<String, DelayStats> a, KV<String, DelayStats> b) {
      int byMean = a.getValue().compareMeanDelay(b.getValue());
      // Top keeps the largest elements, so the smaller code must compare as larger.
      return byMean != 0 ? byMean : b.getKey().compareTo(a.getKey());
    }
  }

  /** Formats one hourly result; see the module README for the fields. */
  static final class FormatHourlyFn extends DoFn<KV<String, DelayStats>, String> {
    @ProcessElement
    public void processElement(
        @Element KV<String, DelayStats> stats, IntervalWindow window, OutputReceiver<String> out) {
      JsonLine line = windowFields(new JsonLine(), window).put("origin", stats.getKey());
      out.output(statsFields(line, stats.getValue()).build());
    }
  }

  /** Formats one day's ranking as one line per rank, rank 1 being the most delayed. */
  static final class FormatDailyTopFn extends DoFn<List<KV<String, DelayStats>>, String> {
    @ProcessElement
    public void processElement(
        @Element List<KV<String, DelayStats>> top,
        IntervalWindow window,
        OutputReceiver<String> out) {
      String day = window.start().toDateTime(DateTimeZone.UTC).toLocalDate().toString();
      for (int i = 0; i < top.size(); i++) {
        JsonLine line = windowFields(new JsonLine().put("day", day), window);
        line.put("rank", i + 1).put("origin", top.get(i).getKey());
        out.output(statsFields(line, top.get(i).getValue()).build());
      }
    }
  }

  private static JsonLine windowFields(JsonLine line, IntervalWindow window) {
    return line.put("windowStart", window.start().toString())
        .put("windowEnd", window.end().toString());
  }

  private static JsonLine statsFields(JsonLine line, DelayStats stats) {
    return line.put("flights", stats.flights())
        .put("meanDelayMin", stats.meanDelayMinutes())
        .put("p90DelayMin", stats.p90DelayMinutes())
        .put("delayedOver15Share", stats.delayedOver15Share());
  }
}
