package io.beamline.examples;

import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of {@link FlightDelaysStreaming}; every option has a default, so none is required. The
 * runner's options ({@code --batchInterval}, {@code --maxRecordsPerBatch}, {@code --checkpointDir},
 * {@code --parallelism}, {@code --stateBackend}, …) apply as well.
 *
 * <p>{@code input} and {@code minDailyFlights} are declared exactly as in {@link
 * FlightDelaysOptions} (Beam requires the same default for a property declared twice in one JVM).
 */
public interface FlightDelaysStreamingOptions extends MicroBatchPipelineOptions {

  @Description(
      "Kafka cluster to use, host:port[,host:port...]. Default: none, the job starts an embedded"
          + " single-node broker in its own process (its topics disappear when the job ends).")
  String getBootstrapServers();

  void setBootstrapServers(String bootstrapServers);

  @Description(
      "Flights to replay: a file holding a JSON array of flight objects, or JSON lines, or"
          + " classpath:<resource>. Default: the bundled 20,000 U.S. flights of January to March"
          + " 2001.")
  @Default.String(FlightDelays.BUNDLED_INPUT)
  String getInput();

  void setInput(String input);

  @Description("Topic the flights are replayed into and the pipeline reads (created if missing).")
  @Default.String("flights")
  String getInputTopic();

  void setInputTopic(String topic);

  @Description(
      "Partitions of the input topic; default 3.")
  @Default.Integer(3)
  int getInputPartitions();

  void setInputPartitions(int partitions);

  @Description(
      "Topic the window results are written to, exactly once: key hourly-by-origin or"
          + " daily-top10, value the JSON line the batch job writes (created if missing).")
  @Default.String("flight-delays")
  String getOutputTopic();

  void setOutputTopic(String topic);

  @Description(
      "Topic for input records that are not a valid flight: KafkaIO's dead letters, with the"
          + " record's address, the reason and the raw bytes (created if missing).")
  @Default.String("flights-dead-letters")
  String getDeadLetterTopic();

  void setDeadLetterTopic(String topic);

  @Description(
      "Replay speed: seconds of departure time replayed per second of wall-clock time. The"
          + " default, 360000, replays one hour of departures every 10 ms, so the three months of"
          + " the bundled data in about 22 s. 0 replays as fast as the broker takes it.")
  @Default.Double(360_000)
  double getSpeedup();

  void setSpeedup(double speedup);

  @Description(
      "Percentage of flights the replayer sends late, 5 to 45 minutes (departure time) after"
          + " their turn, so that they reach the topic out of order. Deterministic: the same"
          + " flights each run.")
  @Default.Integer(2)
  int getOutOfOrderPercent();

  void setOutOfOrderPercent(int percent);

  @Description(
      "Malformed records the replayer adds to the input (a truncated JSON object, a bad date, …),"
          + " to show the dead-letter topic at work.")
  @Default.Integer(2)
  int getMalformedRecords();

  void setMalformedRecords(int count);

  @Description(
      "How far the source's watermark stays behind the latest departure time it has read, in"
          + " minutes (KafkaIO.read().withMaxOutOfOrderness). Must exceed the replayer's largest"
          + " delay (45 minutes) for no flight to be late; smaller values show late data being"
          + " dropped.")
  @Default.Integer(60)
  int getMaxOutOfOrdernessMinutes();

  void setMaxOutOfOrdernessMinutes(int minutes);

  @Description(
      "An origin airport is ranked in daily-top10 only on days with at least this many departures"
          + " (1 ranks every airport).")
  @Default.Integer(5)
  int getMinDailyFlights();

  void setMinDailyFlights(int minDailyFlights);

  @Description(
      "Start over: delete the checkpoint directory first instead of resuming from it. Topics"
          + " of an external cluster are kept.")
  @Default.Boolean(false)
  boolean getFresh();

  void setFresh(boolean fresh);

  @Description(
      "Warehouse directory of the Iceberg tables flights.hourly_stats and flights.daily_top10"
          + " (docs/lakehouse.md). Default: 'warehouse' next to the checkpoint directory.")
  String getWarehouse();

  void setWarehouse(String warehouse);
}
