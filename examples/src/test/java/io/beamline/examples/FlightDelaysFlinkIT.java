package io.beamline.examples;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The scale-out path of docs/scale-out.md: the batch flight-delay job, unchanged, on Beam's FlinkRunner (classic
 * runner, Flink 1.19, embedded mini-cluster as {@code --flinkMaster=[local]} starts it) writes exactly the lines
 * MicroBatchRunner writes, in every output (lines sorted: the order within a file is not specified).
 */
@RunWith(JUnit4.class)
public class FlightDelaysFlinkIT {
  private static final List<String> OUTPUTS =
      List.of(FlightDelays.HOURLY_DIR, FlightDelays.DAILY_TOP_DIR, FlightDelays.DEAD_LETTER_DIR);

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void flinkRunnerWritesWhatMicroBatchRunnerWrites() throws IOException {
    Path microBatchOut = tmp.newFolder("microbatch").toPath();
    Path flinkOut = tmp.newFolder("flink").toPath();

    JobSummary microBatch = FlightDelays.run(options(microBatchOut, "--runner=MicroBatchRunner"));
    JobSummary flink =
        FlightDelays.run(
            options(flinkOut, "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2"));

    assertEquals(FlinkRunner.class.getSimpleName(), flink.runner());
    for (String output : OUTPUTS) {
      assertEquals(output + ": MicroBatchRunner vs FlinkRunner", sortedLines(microBatchOut, output),
          sortedLines(flinkOut, output));
    }
    assertThat(sortedLines(flinkOut, FlightDelays.HOURLY_DIR), not(empty()));
    assertThat(sortedLines(flinkOut, FlightDelays.DAILY_TOP_DIR), not(empty()));
    assertEquals(20_000, flink.parsedRecords());
    assertEquals(microBatch.parsedRecords(), flink.parsedRecords());
    assertEquals(0, flink.malformedRecords());
  }

  private static FlightDelaysOptions options(Path output, String... runnerArgs) {
    String[] args = new String[runnerArgs.length + 2];
    System.arraycopy(runnerArgs, 0, args, 0, runnerArgs.length);
    args[runnerArgs.length] = "--input=" + FlightDelays.BUNDLED_INPUT;
    args[runnerArgs.length + 1] = "--output=" + output;
    return PipelineOptionsFactory.fromArgs(args).withValidation().as(FlightDelaysOptions.class);
  }

  private static List<String> sortedLines(Path output, String dir) throws IOException {
    List<String> lines = JobSummary.readOutputLines(output.resolve(dir));
    Collections.sort(lines);
    return lines;
  }
}
