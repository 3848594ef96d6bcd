package io.beamline.sdk.testing;

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
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Runs a job in child JVMs for crash tests: each child on the test's class path with the job's
 * arguments, its output appended to {@code stdout.log} and {@code stderr.log} in the test's
 * directory; a child started with a crash point ({@link CrashPoint}, {@code
 * -Dbeamline.crashPoint=point:epoch}) prints {@code BEAMLINE-CRASH-POINT} when it gets there and
 * waits, and is then killed with SIGKILL ({@link Process#destroyForcibly} on Unix). Also reads the
 * line files such jobs write.
 *
 * <p>Threading: the test's thread.
 */
public final class CrashHarness {
  private final String mainClass;
  private final long timeoutSeconds;

  /**
   * @param mainClass the job's main class
   * @param timeoutSeconds how long a child may take to reach its crash point or to finish
   */
  public CrashHarness(String mainClass, long timeoutSeconds) {
    this.mainClass = mainClass;
    this.timeoutSeconds = timeoutSeconds;
  }

  /**
   * Starts a child on {@code dir} with {@code args}, stopping at {@code crashPoint} if not null.
   *
   * @throws IOException if the JVM cannot be started
   */
  public Process child(Path dir, @Nullable String crashPoint, List<String> args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    if (crashPoint != null) {
      command.add("-Dbeamline.crashPoint=" + crashPoint);
    }
    command.add(mainClass);
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile()));
    if (crashPoint == null) {
      builder.redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("stderr.log").toFile()));
    }
    return builder.start();
  }

  /**
   * True once the child printed that it reached its crash point (it then waits to be killed); false
   * if it ended or the timeout passed first (the child is then killed).
   */
  public boolean awaitCrashPoint(Process process) throws Exception {
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
      return reached.get(timeoutSeconds, TimeUnit.SECONDS);
    } finally {
      if (!reached.isDone()) {
        process.destroyForcibly();
      }
    }
  }

  /** Starts a child with a crash point, or none for null. */
  @FunctionalInterface
  public interface Start {
    Process start(@Nullable String crashPoint) throws IOException;
  }

  /**
   * Starts a child at each named crash point in turn and kills it there; returns the kills.
   *
   * @throws AssertionError if a child never reaches its crash point
   */
  public int killAt(List<String> points, Start start) throws Exception {
    for (String point : points) {
      Process process = start.start(point);
      if (!awaitCrashPoint(process)) {
        throw new AssertionError("never reached " + point);
      }
      kill(process);
    }
    return points.size();
  }

  /**
   * Starts up to {@code count} children and kills each 1 to 2.5 s after its start; returns the
   * kills (fewer if the job finished first: nothing was left to interrupt).
   */
  public int killAtRandom(int count, Random random, Start start) throws Exception {
    int kills = 0;
    while (kills < count) {
      Process process = start.start(null);
      if (process.waitFor(1_000 + random.nextInt(1_500), TimeUnit.MILLISECONDS)) {
        break;
      }
      kill(process);
      kills++;
    }
    return kills;
  }

  /**
   * Starts a last child and waits for the job to end.
   *
   * @throws AssertionError if it does not end in time or fails (with the end of its stderr)
   */
  public void runToTheEnd(Path dir, Start start) throws Exception {
    Process last = start.start(null);
    if (!last.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      kill(last);
      throw new AssertionError("the job did not end in " + timeoutSeconds + " s");
    }
    if (last.exitValue() != 0) {
      throw new AssertionError("exit " + last.exitValue() + ":\n" + stderrOf(dir));
    }
  }

  /** The highest epoch N with a {@code commits/N} file in {@code checkpoint}, -1 if none. */
  public static long lastCommittedEpoch(Path checkpoint) throws IOException {
    Path commits = checkpoint.resolve("commits");
    if (!Files.isDirectory(commits)) {
      return -1;
    }
    try (Stream<Path> files = Files.list(commits)) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(n -> n.matches("\\d+"))
          .mapToLong(Long::parseLong)
          .max()
          .orElse(-1);
    }
  }

  /** How many commits in {@code checkpoint} name a chain of deltas (their state was incremental). */
  public static int commitsWithDeltas(Path checkpoint) throws IOException {
    int withDeltas = 0;
    try (Stream<Path> commits = Files.list(checkpoint.resolve("commits"))) {
      for (Path commit : commits.filter(f -> !f.getFileName().toString().startsWith(".")).toList()) {
        // the JSON after the file's binary header (docs/checkpoints.md, "File format")
        String json = new String(Files.readAllBytes(commit), StandardCharsets.ISO_8859_1);
        withDeltas += json.contains("\"deltaEpochs\"") ? 1 : 0;
      }
    }
    return withDeltas;
  }

  /** SIGKILL, then waits for the JVM to be gone. */
  public static void kill(Process process) throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** The last 30 lines of the children's stderr in {@code dir}, for failure messages. */
  public static String stderrOf(Path dir) throws IOException {
    Path log = dir.resolve("stderr.log");
    if (!Files.exists(log)) {
      return "";
    }
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }

  /** The distinct lines of every file in {@code dir} (none if it does not exist), sorted. */
  public static TreeSet<String> lines(Path dir) throws IOException {
    return new TreeSet<>(allLines(dir));
  }

  /** Every line of every file in {@code dir} but hidden ones (files being written). */
  public static List<String> allLines(Path dir) throws IOException {
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

  /** What {@code actual} lacks and has wrongly, with the first few of each, for messages. */
  public static String missingAndExtra(Set<String> expected, Set<String> actual) {
    Set<String> missing = new TreeSet<>(expected);
    missing.removeAll(actual);
    Set<String> extra = new TreeSet<>(actual);
    extra.removeAll(expected);
    return "missing "
        + missing.size()
        + " "
        + missing.stream().limit(5).toList()
        + ", wrong "
        + extra.size()
        + " "
        + extra.stream().limit(5).toList();
  }
}
