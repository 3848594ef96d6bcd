package io.beamline.examples;

import static io.beamline.sdk.testing.CrashHarness.allLines;
import static io.beamline.sdk.testing.CrashHarness.kill;
import static io.beamline.sdk.testing.CrashHarness.lines;
import static io.beamline.sdk.testing.CrashHarness.missingAndExtra;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import io.beamline.sdk.testing.CrashHarness;
import io.beamline.sdk.testing.CrashTestPipeline;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * One checkpoint directory, two runners: the stateful streaming job of the crash tests ({@link
 * CrashTestPipeline}) is killed with SIGKILL on MicroBatchRunner, resumed on RealtimeRunner and
 * killed, resumed on MicroBatchRunner and killed, resumed on RealtimeRunner and killed, and finished
 * on MicroBatchRunner. Each run must commit epochs of its own on top of the other runner's (the
 * last committed epoch grows), and the output must equal the expected output of an uninterrupted
 * run: running totals and window sums are right only if each runner restored the other's state and
 * source positions. Both sinks here are at-least-once, so duplicates of correct lines are allowed.
 * The job runs once with heap state and once with RocksDB state ({@code state/N/rocksdb}, which
 * both runners write and restore).
 */
public class RunnerSwitchIT {
  private static final long RECORDS = 6_000;
  private static final long RATE_PER_READER = 250; // 2 readers: about 12 s of input
  private static final long TIMEOUT_SECONDS = 120;
  private static final long RUN_MILLIS = 3_500;
  private static final List<String> MICRO_BATCH =
      List.of(
          "--runner=MicroBatchRunner",
          "--batchInterval=50ms",
          "--maxRecordsPerBatch=100",
          "--uiPort=0");
  private static final List<String> REALTIME =
      List.of("--runner=RealtimeRunner", "--checkpointInterval=100ms");

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final CrashHarness harness =
      new CrashHarness(CrashTestPipeline.class.getName(), TIMEOUT_SECONDS);

  @Test
  public void aJobKilledOnEitherRunnerResumesOnTheOther() throws Exception {
    switchRunners("heap");
  }

  @Test
  public void aRocksDbJobKilledOnEitherRunnerResumesOnTheOther() throws Exception {
    switchRunners("rocksdb");
  }

  private void switchRunners(String stateBackend) throws Exception {
    Path dir = tmp.newFolder(stateBackend).toPath();
    long committed = -1;
    for (List<String> runner : List.of(MICRO_BATCH, REALTIME, MICRO_BATCH, REALTIME)) {
      Process process = harness.child(dir, null, args(dir, runner, stateBackend));
      assertFalse(
          runner.get(0) + " finished before it was killed: make the input longer",
          process.waitFor(RUN_MILLIS, TimeUnit.MILLISECONDS));
      kill(process);
      long now = CrashHarness.lastCommittedEpoch(dir.resolve("checkpoint"));
      assertThat(runner.get(0) + " committed nothing of its own", now, greaterThan(committed));
      committed = now;
    }
    harness.runToTheEnd(
        dir, point -> harness.child(dir, point, args(dir, MICRO_BATCH, stateBackend)));

    Set<String> expected = CrashTestPipeline.expectedLines(RECORDS);
    Set<String> actual = lines(dir.resolve("out"));
    assertEquals(missingAndExtra(expected, actual), expected, actual);
    System.out.printf(
        "runner switch (%s state): %d lines, %d duplicate lines from re-read input%n",
        stateBackend,
        actual.size(), allLines(dir.resolve("out")).size() - actual.size());
  }

  private static List<String> args(Path dir, List<String> runner, String stateBackend) {
    List<String> args = new ArrayList<>(runner);
    args.add("--stateBackend=" + stateBackend);
    args.add("--parallelism=2");
    args.add("--records=" + RECORDS);
    args.add("--ratePerSecond=" + RATE_PER_READER);
    args.add("--checkpointDir=" + dir.resolve("checkpoint"));
    args.add("--outputDir=" + dir.resolve("out"));
    return args;
  }
}
