package io.beamline.examples;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Runs the whole flight-delay job on Beam's DirectRunner and on a Beamline runner and checks that
 * every output holds the same lines (order within a file is not specified, so lines are sorted).
 *
 * <p>The runner under test is {@code MicroBatchRunner}; {@code -Dflights.it.runner=<name>} picks
 * another one, e.g. {@code DirectRunner} to check the test itself.
 */
@RunWith(JUnit4.class)
public class FlightDelaysRunnersIT {
  private static final String REFERENCE_RUNNER = "DirectRunner";
  private static final String RUNNER_UNDER_TEST =
      System.getProperty("flights.it.runner", "MicroBatchRunner");
  private static final List<String> OUTPUTS =
      List.of(FlightDelays.HOURLY_DIR, FlightDelays.DAILY_TOP_DIR, FlightDelays.DEAD_LETTER_DIR);

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void bundledFlightsGiveIdenticalResultsOnBothRunners() throws IOException {
    Run reference = run(REFERENCE_RUNNER, FlightDelays.BUNDLED_INPUT);
    Run underTest = run(RUNNER_UNDER_TEST, FlightDelays.BUNDLED_INPUT);

    assertSameOutputs(reference, underTest);
    assertThat(reference.lines().get(FlightDelays.HOURLY_DIR), not(empty()));
    assertThat(reference.lines().get(FlightDelays.DAILY_TOP_DIR), not(empty()));
    // The published data set has no malformed rows.
    assertThat(reference.lines().get(FlightDelays.DEAD_LETTER_DIR), empty());
    for (Run run : List.of(reference, underTest)) {
      assertEquals(run.runner() + " parsedRecords", 20_000, run.summary().parsedRecords());
      assertEquals(run.runner() + " malformedRecords", 0, run.summary().malformedRecords());
    }
  }

  @Test
  public void malformedRowsReachTheSameDeadLetterOnBothRunners() throws IOException {
    List<String> rows =
        new ArrayList<>(InputRows.read(FlightDelays.BUNDLED_INPUT).subList(0, 3000));
    rows.add(10, "{\"date\":\"2001/01/01 10:05\",\"delay\":");
    rows.add(1500, rows.get(1500).replace("\"delay\":", "\"delay_minutes\":"));
    rows.add(2999, rows.get(2999).replaceFirst("\"date\":\"2001/", "\"date\":\"2001-"));
    Path input = tmp.newFile("flights-with-malformed.jsonl").toPath();
    Files.write(input, rows, StandardCharsets.UTF_8);

    Run reference = run(REFERENCE_RUNNER, input.toString());
    Run underTest = run(RUNNER_UNDER_TEST, input.toString());

    assertSameOutputs(reference, underTest);
    for (String output : OUTPUTS) {
      assertThat(output, reference.lines().get(output), not(empty()));
    }
    assertThat(reference.lines().get(FlightDelays.DEAD_LETTER_DIR), hasSize(3));
    for (Run run : List.of(reference, underTest)) {
      assertEquals(run.runner() + " parsedRecords", 3000, run.summary().parsedRecords());
      assertEquals(run.runner() + " malformedRecords", 3, run.summary().malformedRecords());
    }
  }

  private static void assertSameOutputs(Run reference, Run underTest) {
    for (String output : OUTPUTS) {
      assertEquals(
          output + ": " + reference.runner() + " vs " + underTest.runner(),
          reference.lines().get(output),
          underTest.lines().get(output));
    }
  }

  private Run run(String runner, String input) throws IOException {
    Path output = tmp.newFolder().toPath();
    FlightDelaysOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=" + runner, "--input=" + input, "--output=" + output)
            .withValidation()
            .as(FlightDelaysOptions.class);
    JobSummary summary = FlightDelays.run(options);
    Map<String, List<String>> lines = new TreeMap<>();
    for (String dir : OUTPUTS) {
      List<String> sorted = JobSummary.readOutputLines(output.resolve(dir));
      Collections.sort(sorted);
      lines.put(dir, sorted);
    }
    return new Run(runner, summary, lines);
  }

  /** One job run: the runner's name, its summary, and each output's sorted lines. */
  private record Run(String runner, JobSummary summary, Map<String, List<String>> lines) {}
}
