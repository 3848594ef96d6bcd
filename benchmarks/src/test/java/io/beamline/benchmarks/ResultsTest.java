package io.beamline.benchmarks;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.Test;

public class ResultsTest {

  @Test
  public void median() {
    assertEquals(3.0, Results.median(List.of(5.0, 1.0, 3.0)), 0.0);
    assertEquals(2.5, Results.median(List.of(4.0, 1.0, 2.0, 3.0)), 0.0);
  }

  @Test
  public void ratiosAreAgainstMicroBatchRunner() {
    Results r = new Results(List.of("MicroBatchRunner", "DirectRunner", "FlinkRunner"), List.of("p"));
    for (double ms : new double[] {100, 110, 90}) {
      r.recordRun("p", "MicroBatchRunner", "measure", ms, "keys=1");
      r.recordRun("p", "DirectRunner", "measure", ms * 3, "keys=1");
    }
    r.recordRun("p", "DirectRunner", "warmup", 999, "keys=1");
    r.recordError("p", "FlinkRunner", "boom");

    List<List<String>> rows = r.rows();
    assertEquals(List.of("p", "MicroBatchRunner", "100", "90", "110", "100", "3", "1.00"), rows.get(0));
    assertEquals(List.of("p", "DirectRunner", "300", "270", "330", "999", "3", "3.00"), rows.get(1));
    assertEquals("FAILED", rows.get(2).get(2));
    assertEquals("n/a", rows.get(2).get(7));
    assertEquals(List.of("p on FlinkRunner: boom"), r.errors());
  }

  @Test
  public void ratiosArePendingWhenMicroBatchRunnerFailed() {
    Results r = new Results(List.of("MicroBatchRunner", "DirectRunner"), List.of("p"));
    r.recordRun("p", "DirectRunner", "measure", 10, "");
    r.failIncomplete("MicroBatchRunner", "child JVM exited with 1", 1);
    List<List<String>> rows = r.rows();
    assertEquals("pending", rows.get(1).get(7));
    assertEquals("FAILED", rows.get(0).get(2));
  }

  @Test
  public void differingResultsAreFailures() {
    Results r = new Results(List.of("MicroBatchRunner", "DirectRunner"), List.of("p"));
    r.recordRun("p", "MicroBatchRunner", "measure", 1, "keys=999");
    r.recordRun("p", "DirectRunner", "measure", 1, "keys=1000");
    r.recordRun("p", "DirectRunner", "measure", 1, "keys=1000");
    assertEquals(
        List.of("p: results differ between runners: {MicroBatchRunner=[keys=999], DirectRunner=[keys=1000]}"),
        r.errors());
    r.recordRun("p", "DirectRunner", "measure", 1, "keys=7");
    assertThat(r.errors().get(0), containsString("DirectRunner: results differ between runs"));
  }

  @Test
  public void childClasspathsLeaveOutTheOtherRunners() {
    String cp =
        String.join(
            java.io.File.pathSeparator,
            "/m2/org/apache/beam/beam-sdks-java-core/2.70.0/beam-sdks-java-core-2.70.0.jar",
            "/m2/org/apache/beam/beam-runners-direct-java/2.70.0/beam-runners-direct-java-2.70.0.jar",
            "/m2/org/apache/beam/beam-runners-flink-1.19/2.70.0/beam-runners-flink-1.19-2.70.0.jar",
            "/m2/org/apache/flink/flink-core/1.19.0/flink-core-1.19.0.jar",
            "/m2/io/beamline/beamline-sdk/0.1.0-SNAPSHOT/beamline-sdk-0.1.0-SNAPSHOT.jar",
            "/work/main/runner-microbatch/target/beamline-runner-microbatch-0.1.0-SNAPSHOT.jar");
    String flink = Runners.classpathFor("FlinkRunner", cp);
    assertThat(flink, containsString("flink-core"));
    assertEquals(false, flink.contains("runner-microbatch"));
    String micro = Runners.classpathFor("MicroBatchRunner", cp);
    assertThat(micro, containsString("runner-microbatch"));
    assertThat(micro, containsString("beamline-sdk"));
    assertEquals(false, micro.contains("flink"));
    String direct = Runners.classpathFor("DirectRunner", cp);
    assertThat(direct, containsString("beam-runners-direct-java"));
    assertEquals(false, direct.contains("flink") || direct.contains("runner-microbatch"));
  }

  @Test
  public void markdownTable() {
    String md =
        BenchmarkMain.markdown(
            Map.of("date", "d", "cores", "2", "memory", "m", "cpu", "c", "os", "o", "java", "j"),
            "BenchmarkMain --x", List.of("DirectRunner"), 2, 5, 2, "4g",
            List.of(List.of("p", "DirectRunner", "1", "1", "1", "1", "5", "n/a")), "", "", List.of(), List.of());
    assertThat(md, containsString("| pipeline | runner | median ms |"));
    assertThat(md, containsString("|---|---|---:|"));
    assertThat(md, containsString("| p | DirectRunner | 1 | 1 | 1 | 1 | 5 | n/a |"));
  }
}
