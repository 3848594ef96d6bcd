package io.beamline.runners.microbatch;

import static io.beamline.sdk.testing.CrashHarness.allLines;
import static io.beamline.sdk.testing.CrashHarness.lines;
import static io.beamline.sdk.testing.CrashHarness.missingAndExtra;
import static io.beamline.sdk.testing.CrashHarness.stderrOf;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import io.beamline.sdk.testing.CrashHarness;
import io.beamline.sdk.testing.CrashTestPipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Kills a stateful streaming job ({@link CrashTestPipeline}) with SIGKILL — at random moments and at
 * named points of the epoch commit protocol — restarts it on the same checkpoint directory each
 * time, and checks that its output equals the output of an uninterrupted run: every line present,
 * none with a wrong value. A replayed epoch writes its lines again (the sink is idempotent, not
 * transactional), so duplicates of correct lines are allowed and reported.
 *
 * <p>The second test disables replay of the uncommitted epoch and shows that the output is then
 * wrong: what replay protects against is real.
 */
public class CrashRecoveryIT {
  private static final long RECORDS = 6_000;
  private static final long RATE_PER_READER = 250; // 2 readers: about 12 s of input
  private static final long TIMEOUT_SECONDS = 120;

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final Random random = new Random(42);
  private final CrashHarness harness =
      new CrashHarness(CrashTestPipeline.class.getName(), TIMEOUT_SECONDS);
  /** The children's {@code --stateBackend}. */
  private String stateBackend = "heap";

  @Test
  public void outputAfterTwentyKillsEqualsUninterruptedRun() throws Exception {
    Path reference = tmp.newFolder("reference").toPath();
    assertEquals(stderrOf(reference), 0, child(reference, true, null).waitFor());
    Set<String> expected = lines(reference.resolve("out"));
    assertEquals(CrashTestPipeline.expectedLines(RECORDS), expected);

    Path crashed = tmp.newFolder("crashed").toPath();
    CrashHarness.Start start = point -> child(crashed, true, point);
    int kills =
        harness.killAt(
            List.of(
                "afterOffsets:3",
                "midSnapshot:6",
                "beforeCommit:9",
                "afterOffsets:30",
                "midSnapshot:40",
                "beforeCommit:50"),
            start);
    kills += harness.killAtRandom(16, random, start);
    harness.runToTheEnd(crashed, start);

    assertThat(kills, greaterThanOrEqualTo(20));
    Set<String> actual = assertOutputAndChains(crashed, expected);
    System.out.printf(
        "crash test: %d kills, %d lines, %d duplicate lines from replayed epochs%n",
        kills, actual.size(), allLines(crashed.resolve("out")).size() - actual.size());
  }

  /**
   * The same job on the RocksDB backend: after each kill the state cells come back from the last
   * committed epoch's RocksDB checkpoint ({@code state/N/rocksdb}) and the timers from the heap
   * snapshot's chain of base and deltas.
   */
  @Test
  public void onRocksDbTheOutputAfterKillsEqualsUninterruptedRun() throws Exception {
    stateBackend = "rocksdb";
    Set<String> expected = CrashTestPipeline.expectedLines(RECORDS);
    Path crashed = tmp.newFolder("rocksdb").toPath();
    CrashHarness.Start start = point -> child(crashed, true, point);
    int kills =
        harness.killAt(
            List.of("afterOffsets:3", "midSnapshot:8", "beforeCommit:20", "midSnapshot:35"), start);
    kills += harness.killAtRandom(4, random, start);
    harness.runToTheEnd(crashed, start);

    assertThat(kills, greaterThanOrEqualTo(6));
    assertOutputAndChains(crashed, expected);
  }

  /**
   * The crashed run's output lines equal {@code expected}, and its checkpoint was incremental;
   * returns the lines.
   */
  private static Set<String> assertOutputAndChains(Path crashed, Set<String> expected)
      throws IOException {
    Set<String> actual = lines(crashed.resolve("out"));
    assertEquals(missingAndExtra(expected, actual), expected, actual);
    assertChainsWereWritten(crashed.resolve("checkpoint"));
    return actual;
  }

  @Test
  public void withoutReplayTheOutputIsWrong() throws Exception {
    Path crashed = tmp.newFolder("noreplay").toPath();
    CrashHarness.Start start = point -> child(crashed, false, point);
    harness.killAt(List.of("beforeCommit:3", "beforeCommit:8", "beforeCommit:14"), start);
    harness.runToTheEnd(crashed, start);
    assertNotEquals(
        "skipping uncommitted epochs must lose input",
        CrashTestPipeline.expectedLines(RECORDS),
        lines(crashed.resolve("out")));
  }

  /**
   * The state the restarts restored was incremental: some commits name a chain of deltas, and some
   * bases outgrew the commit file (state/N/heap).
   */
  private static void assertChainsWereWritten(Path checkpoint) throws IOException {
    int withDeltas = CrashHarness.commitsWithDeltas(checkpoint);
    long bases;
    try (Stream<Path> state = Files.list(checkpoint.resolve("state"))) {
      bases = state.filter(dir -> Files.exists(dir.resolve("heap"))).count();
    }
    assertThat(withDeltas, greaterThanOrEqualTo(1));
    assertThat(bases, greaterThanOrEqualTo(1L));
  }

  private Process child(Path dir, boolean replay, String crashPoint) throws IOException {
    return harness.child(
        dir,
        crashPoint,
        List.of(
            "--runner=MicroBatchRunner",
            "--parallelism=2",
            "--batchInterval=50ms",
            "--maxRecordsPerBatch=100",
            "--records=" + RECORDS,
            "--ratePerSecond=" + RATE_PER_READER,
            "--checkpointDir=" + dir.resolve("checkpoint"),
            "--outputDir=" + dir.resolve("out"),
            "--replayUncommittedEpoch=" + replay,
            "--stateBackend=" + stateBackend));
  }
}
