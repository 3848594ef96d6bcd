package io.beamline.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;

/**
 * Flight-delay analytics on real U.S. departures (BTS on-time data, January to March 2001): hourly
 * delay statistics per origin airport, the most-delayed airports of each day, and a dead-letter
 * file for malformed rows. See {@link FlightDelayAnalytics} for what is computed and the module
 * README for the output format.
 *
 * <p>Runs unchanged on any Beam runner, e.g. {@code --runner=MicroBatchRunner} or {@code
 * --runner=DirectRunner}; the output lines are the same on every runner.
 */
public final class FlightDelays {

  /** The {@code --input} default: the 20,000 flights bundled in this module's jar. */
  public static final String BUNDLED_INPUT = "classpath:flights-20k.json";

  /** Sub-directory of {@code --output} for {@link FlightDelayAnalytics#HOURLY_BY_ORIGIN}. */
  public static final String HOURLY_DIR = "hourly-by-origin";

  /** Sub-directory of {@code --output} for {@link FlightDelayAnalytics#DAILY_TOP}. */
  public static final String DAILY_TOP_DIR = "daily-top10";

  /** Sub-directory of {@code --output} for {@link FlightDelayAnalytics#DEAD_LETTER}. */
  public static final String DEAD_LETTER_DIR = "dead-letter";

  private FlightDelays() {}

  /** Runs the job with the given options and prints where the results went and a summary. */
  public static void main(String[] args) throws IOException {
    FlightDelaysOptions options;
    try {
      options = options(args);
    } catch (Launcher.UsageError e) {
      e.print(System.err);
      System.exit(Launcher.USAGE);
      return;
    }
    if (options.getWarehouse() == null) {
      options.setWarehouse(LakehouseOutput.DEFAULT_WAREHOUSE);
    }
    System.out.println("Lakehouse: " + Path.of(options.getWarehouse()).toAbsolutePath().normalize()
        + " (tables " + LakehouseOutput.hourlyTable(LakehouseOutput.BATCH) + ", "
        + LakehouseOutput.dailyTopTable(LakehouseOutput.BATCH) + ", replaced)");
    System.out.println(run(options).describe());
    System.out.println(LakehouseOutput.describe(options.getWarehouse(), LakehouseOutput.BATCH));
  }

  /**
   * The job's options from its command line (runner MicroBatchRunner unless {@code --runner} is
   * given), every one checked before the job runs.
   *
   * @throws Launcher.UsageError for a mistake: one line and a hint
   */
  static FlightDelaysOptions options(String[] args) throws Launcher.UsageError {
    FlightDelaysOptions options =
        Launcher.parse(
            args,
            FlightDelaysOptions.class,
            io.beamline.runners.microbatch.MicroBatchRunner.class,
            "flights-batch",
            FlightDelays.class);
    Launcher.checkInput(options.getInput());
    return options;
  }

  /**
   * Builds and runs the job, waits until it finishes, and summarises it.
   *
   * @throws IOException if the input or the written results cannot be read
   * @throws IllegalStateException if the pipeline ends in a state other than {@code DONE}
   */
  public static JobSummary run(FlightDelaysOptions options) throws IOException {
    if (options.getWarehouse() != null) {
      LakehouseOutput.dropTables(options.getWarehouse(), LakehouseOutput.BATCH);
    }
    Pipeline pipeline = build(Pipeline.create(options), options);
    long start = System.nanoTime();
    PipelineResult result = pipeline.run();
    PipelineResult.State state = result.waitUntilFinish();
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("flight-delays pipeline finished in state " + state);
    }
    return JobSummary.of(result, options, outputDir(options), elapsed);
  }

  /**
   * Adds the job to {@code pipeline}: reads {@code --input} in the driver, applies {@link
   * FlightDelayAnalytics}, and writes each result as one JSON-lines file under {@code --output}
   * and, with {@code --warehouse}, the hourly and daily results into Iceberg tables ({@link
   * LakehouseOutput}).
   *
   * @return {@code pipeline}, for chaining
   * @throws IOException if the input cannot be read
   */
  public static Pipeline build(Pipeline pipeline, FlightDelaysOptions options) throws IOException {
    List<String> rows = InputRows.read(options.getInput());
    PCollectionTuple results =
        pipeline
            .apply("ReadFlights", Create.of(rows).withCoder(StringUtf8Coder.of()))
            .apply(
                "FlightDelayAnalytics",
                FlightDelayAnalytics.withMinDailyFlights(options.getMinDailyFlights()));
    Path output = outputDir(options);
    write(results.get(FlightDelayAnalytics.HOURLY_BY_ORIGIN), output, HOURLY_DIR);
    write(results.get(FlightDelayAnalytics.DAILY_TOP), output, DAILY_TOP_DIR);
    write(results.get(FlightDelayAnalytics.DEAD_LETTER), output, DEAD_LETTER_DIR);
    if (options.getWarehouse() != null) {
      LakehouseOutput.write(results, options.getWarehouse(), LakehouseOutput.BATCH);
    }
    return pipeline;
  }

  static Path outputDir(FlightDelaysOptions options) {
    return Path.of(options.getOutput()).toAbsolutePath().normalize();
  }

  /** Writes {@code <output>/<dir>/part-00000-of-00001.jsonl}, even when there are no lines. */
  private static void write(PCollection<String> lines, Path output, String dir) {
    lines.apply(
        "Write " + dir,
        TextIO.write()
            .to(output.resolve(dir).resolve("part").toString())
            .withSuffix(".jsonl")
            .withNumShards(1));
  }
}
