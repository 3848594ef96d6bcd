package io.beamline.examples;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Options of {@link FlightDelays}; every option has a default, so none is required. */
public interface FlightDelaysOptions extends PipelineOptions {

  @Description(
      "Flights to read: a file holding a JSON array of flight objects, or JSON lines (one object"
          + " per line), or classpath:<resource>. Default: the bundled 20,000 U.S. flights of"
          + " January to March 2001.")
  @Default.String(FlightDelays.BUNDLED_INPUT)
  String getInput();

  void setInput(String input);

  @Description(
      "Directory for the results; the job writes the sub-directories hourly-by-origin, daily-top10"
          + " and dead-letter, replacing files of the same name.")
  @Default.String("beamline-output/flights")
  String getOutput();

  void setOutput(String output);

  @Description(
      "An origin airport is ranked in daily-top10 only on days with at least this many departures"
          + " (1 ranks every airport).")
  @Default.Integer(5)
  int getMinDailyFlights();

  void setMinDailyFlights(int minDailyFlights);

  @Description(
      "Warehouse directory of the Iceberg tables flights_batch.hourly_stats and"
          + " flights_batch.daily_top10, replaced each run. Default when run from main:"
          + " beamline-checkpoints/warehouse (none when the pipeline is built by other code).")
  String getWarehouse();

  void setWarehouse(String warehouse);
}
