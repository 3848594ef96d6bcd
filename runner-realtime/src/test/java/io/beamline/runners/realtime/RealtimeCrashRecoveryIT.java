package io.beamline.runners.realtime;

import static io.beamline.sdk.testing.CrashHarness.allLines;
import static io.beamline.sdk.testing.CrashHarness.lines;
import static io.beamline.sdk.testing.CrashHarness.missingAndExtra;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import io.beamline.sdk.testing.CrashHarness;
import io.beamline.sdk.testing.CrashTestPipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Kills the stateful streaming job of the crash tests ({@link CrashTestPipeline}) on RealtimeRunner
 * with SIGKILL — at random moments and at the named points of a barrier checkpoint (barrier
 * injected, offsets logged, mid-snapshot, before commit) — restarts it on the same checkpoint
 * directory each time, and checks that its output equals the expected output: every line present,
 * none with a wrong value. Lines are running totals per key and per-window sums, so a record counted
 * twice or lost after a restore shows as a wrong or missing line. The sink writes files per bundle
 * (at-least-once), so duplicates of correct lines from the re-read input are allowed and reported.
 *
 * <p>On the RocksDB backend the state cells come back from {@code state/N/rocksdb}: each task writes
 * through its own overlay, applied at its next barrier, so a checkpoint holds no task's writes from
 * after its barrier (which the replay would count again).
 *
 * <p>The last test skips the input logged but not committed when a run restarts, and shows that
 * the output is then wrong: the test can see lost input.
 */
public class RealtimeCrashRecoveryIT {
  private static final long RECORDS = 6_000;
  private static final long RATE_PER_READER = 250; // 2 readers: about 12 s of input
  private static final long TIMEOUT_SECONDS = 120;

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final Random random = new Random(7);
  private final CrashHarness harness =
      new CrashHarness(CrashTestPipeline.class.getName(), TIMEOUT_SECONDS);

  @Test
  public void outputAfterTwentyKillsEqualsTheExpectedOutput() throws Exception {
    Set<String> expected = CrashTestPipeline.expectedLines(RECORDS);
    Path crashed = tmp.newFolder("crashed").toPath();
    CrashHarness.Start start = point -> child(crashed, true, "heap", point);
    int kills =
        harness.killAt(
            List.of(
                "barrierInjected:3",
                "afterOffsets:6",
                "midSnapshot:9",
                "beforeCommit:12",
                "barrierInjected:30",
                "midSnapshot:40",
                "beforeCommit:50"),
            start);
    kills += harness.killAtRandom(15, random, start);
    harness.runToTheEnd(crashed, start);

    assertThat(kills, greaterThanOrEqualTo(20));
    Set<String> actual = lines(crashed.resolve("out"));
    assertEquals(missingAndExtra(expected, actual), expected, actual);
    assertThat(
        "commits naming delta chains",
        CrashHarness.commitsWithDeltas(crashed.resolve("checkpoint")),
        greaterThanOrEqualTo(1));
    List<String> progress = Files.readAllLines(crashed.resolve("progress.jsonl"));
    assertTrue(
        "progress lines report the last checkpoint",
        progress.stream().anyMatch(l -> l.contains("\"checkpoint\":{\"epoch\":")));
    System.out.printf(
        "realtime crash test: %d kills, %d lines, %d duplicate lines from re-read input%n",
        kills, actual.size(), allLines(crashed.resolve("out")).size() - actual.size());
  }

  @Test
  public void onRocksDbTheOutputAfterKillsEqualsTheExpectedOutput() throws Exception {
    Set<String> expected = CrashTestPipeline.expectedLines(RECORDS);
    Path crashed = tmp.newFolder("rocksdb").toPath();
    CrashHarness.Start start = point -> child(crashed, true, "rocksdb", point);
    int kills =
        harness.killAt(
            List.of("barrierInjected:4", "afterOffsets:8", "midSnapshot:12", "beforeCommit:40"),
            start);
    kills += harness.killAtRandom(8, random, start);
    harness.runToTheEnd(crashed, start);

    Set<String> actual = lines(crashed.resolve("out"));
    assertEquals(missingAndExtra(expected, actual), expected, actual);
    List<String> progress = Files.readAllLines(crashed.resolve("progress.jsonl"));
    assertTrue(
        "progress lines report the RocksDB snapshot",
        progress.stream().anyMatch(l -> l.contains("\"rocksDbSnapshotMs\":")));
    System.out.printf(
        "realtime crash test on RocksDB: %d kills, %d lines, %d duplicate lines%n",
        kills, actual.size(), allLines(crashed.resolve("out")).size() - actual.size());
  }

  @Test
  public void skippingTheUncommittedInputMakesTheOutputWrong() throws Exception {
    Path crashed = tmp.newFolder("noreplay").toPath();
    CrashHarness.Start start = point -> child(crashed, false, "heap", point);
    harness.killAt(List.of("beforeCommit:5", "beforeCommit:15", "beforeCommit:25"), start);
    harness.runToTheEnd(crashed, start);
    assertNotEquals(
        "skipping logged but uncommitted input must lose records",
        CrashTestPipeline.expectedLines(RECORDS),
        lines(crashed.resolve("out")));
  }

  private Process child(Path dir, boolean replay, String stateBackend, String crashPoint)
      throws IOException {
    return harness.child(
        dir,
        crashPoint,
        List.of(
            "--runner=RealtimeRunner",
            "--parallelism=2",
            "--checkpointInterval=100ms",
            "--records=" + RECORDS,
            "--ratePerSecond=" + RATE_PER_READER,
            "--checkpointDir=" + dir.resolve("checkpoint"),
            "--outputDir=" + dir.resolve("out"),
            "--progressFile=" + dir.resolve("progress.jsonl"),
            "--replayUncommittedEpoch=" + replay,
            "--stateBackend=" + stateBackend));
  }
}
