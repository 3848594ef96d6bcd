package io.beamline.runners.microbatch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import io.beamline.runners.microbatch.testing.CrashTestPipeline;
import io.beamline.sdk.internal.checkpoint.CheckpointFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
  /** The children's {@code --stateBackend}. */
  private String stateBackend = "heap";

  @Test
  public void outputAfterTwentyKillsEqualsUninterruptedRun() throws Exception {
    Path reference = tmp.newFolder("reference").toPath();
    assertEquals(stderrOf(reference), 0, child(reference, true, null).waitFor());
    Set<String> expected = lines(reference.resolve("out"));
    assertEquals(CrashTestPipeline.expectedLines(RECORDS), expected);

    Path crashed = tmp.newFolder("crashed").toPath();
    int kills =
        killAt(
            crashed,
            List.of(
                "afterOffsets:3",
                "midSnapshot:6",
                "beforeCommit:9",
                "afterOffsets:30",
                "midSnapshot:40",
                "beforeCommit:50"));
    kills += killAtRandom(crashed, 16);
    runToTheEnd(crashed);

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
    int kills =
        killAt(crashed, List.of("afterOffsets:3", "midSnapshot:8", "beforeCommit:20", "midSnapshot:35"));
    kills += killAtRandom(crashed, 4);
    runToTheEnd(crashed);

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

  /** Kills a child at each named crash point in turn; returns the kills. */
  private int killAt(Path dir, List<String> points) throws Exception {
    for (String point : points) {
      Process process = child(dir, true, point);
      assertTrue("never reached " + point, awaitCrashPoint(process));
      kill(process);
    }
    return points.size();
  }

  /**
   * Kills up to {@code count} children 1 to 2.5 s after their start; returns the kills (fewer if the
   * job finished first).
   */
  private int killAtRandom(Path dir, int count) throws Exception {
    int kills = 0;
    while (kills < count) {
      Process process = child(dir, true, null);
      long delay = 1_000 + random.nextInt(1_500);
      if (process.waitFor(delay, TimeUnit.MILLISECONDS)) {
        break; // the job finished before the kill: nothing left to interrupt
      }
      kill(process);
      kills++;
    }
    return kills;
  }

  /** Runs a last child on {@code dir} until the job ends, successfully. */
  private void runToTheEnd(Path dir) throws Exception {
    Process last = child(dir, true, null);
    assertTrue(last.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    assertEquals(stderrOf(dir), 0, last.exitValue());
  }

  @Test
  public void withoutReplayTheOutputIsWrong() throws Exception {
    Path crashed = tmp.newFolder("noreplay").toPath();
    for (String point : List.of("beforeCommit:3", "beforeCommit:8", "beforeCommit:14")) {
      Process process = child(crashed, false, point);
      assertTrue("never reached " + point, awaitCrashPoint(process));
      kill(process);
    }
    Process last = child(crashed, false, null);
    assertTrue(last.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    assertEquals(stderrOf(crashed), 0, last.exitValue());
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
    int withDeltas = 0;
    try (Stream<Path> commits = Files.list(checkpoint.resolve("commits"))) {
      for (Path commit : commits.filter(f -> !f.getFileName().toString().startsWith(".")).toList()) {
        String json = new String(CheckpointFiles.read(commit), StandardCharsets.UTF_8);
        withDeltas += json.contains("\"deltaEpochs\"") ? 1 : 0;
      }
    }
    long bases;
    try (Stream<Path> state = Files.list(checkpoint.resolve("state"))) {
      bases = state.filter(dir -> Files.exists(dir.resolve("heap"))).count();
    }
    assertThat(withDeltas, greaterThanOrEqualTo(1));
    assertThat(bases, greaterThanOrEqualTo(1L));
  }

  private Process child(Path dir, boolean replay, String crashPoint) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    if (crashPoint != null) {
      command.add("-Dbeamline.crashPoint=" + crashPoint);
    }
    command.add(CrashTestPipeline.class.getName());
    command.add("--runner=MicroBatchRunner");
    command.add("--parallelism=2");
    command.add("--batchInterval=50ms");
    command.add("--maxRecordsPerBatch=100");
    command.add("--records=" + RECORDS);
    command.add("--ratePerSecond=" + RATE_PER_READER);
    command.add("--checkpointDir=" + dir.resolve("checkpoint"));
    command.add("--outputDir=" + dir.resolve("out"));
    command.add("--replayUncommittedEpoch=" + replay);
    command.add("--stateBackend=" + stateBackend);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile()));
    if (crashPoint == null) {
      builder.redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("stderr.log").toFile()));
    }
    return builder.start();
  }

  /** True once the child printed that it reached its crash point (it then waits to be killed). */
  private static boolean awaitCrashPoint(Process process) throws Exception {
    CompletableFuture<Boolean> reached =
        CompletableFuture.supplyAsync(
            () -> {
              try (BufferedReader err =
                  new BufferedReader(
                      new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = err.readLine()) != null; ) {
                  if (line.startsWith("BEAMLINE-CRASH-POINT")) {
                    return true;
                  }
                }
                return false;
              } catch (IOException e) {
                return false;
              }
            });
    try {
      return reached.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } finally {
      if (!reached.isDone()) {
        process.destroyForcibly();
      }
    }
  }

  /** SIGKILL (Process.destroyForcibly on Unix), then wait for the JVM to be gone. */
  private static void kill(Process process) throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** The end of the children's stderr, for failure messages. */
  private static String stderrOf(Path dir) throws IOException {
    Path log = dir.resolve("stderr.log");
    if (!Files.exists(log)) {
      return "";
    }
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }

  private static Set<String> lines(Path dir) throws IOException {
    return new TreeSet<>(allLines(dir));
  }

  private static List<String> allLines(Path dir) throws IOException {
    List<String> lines = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return lines;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> !f.getFileName().toString().startsWith(".")).toList()) {
        lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
      }
    }
    return lines;
  }

  private static String missingAndExtra(Set<String> expected, Set<String> actual) {
    Set<String> missing = new TreeSet<>(expected);
    missing.removeAll(actual);
    Set<String> extra = new TreeSet<>(actual);
    extra.removeAll(expected);
    return "missing " + missing.size() + " " + head(missing) + ", wrong " + extra.size() + " " + head(extra);
  }

  private static String head(Set<String> lines) {
    return lines.stream().limit(5).toList().toString();
  }
}
