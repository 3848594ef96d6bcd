package io.beamline.io.lakehouse.testing;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A job in a child JVM for crash tests: its stdout and stderr go line by line to a log file and a
 * queue the test reads; {@link #kill} sends SIGKILL. Built like io-kafka's {@code
 * KafkaCrashRecoveryIT} children.
 */
public final class ChildJvm {
  /** What a crash point prints before it blocks ({@code CrashPoints}). */
  public static final String CRASH_LINE = "BEAMLINE-CRASH-POINT ";

  private static final String EOF = "\u0000EOF";

  public final Process process;
  private final Thread pump;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final Path log;
  private final long waitSeconds;

  /**
   * Starts {@code java <jvmFlags> -cp <classPath> <mainClass> <args>}.
   *
   * @param waitSeconds how long {@link #nextLine} waits for output before failing
   */
  public ChildJvm(
      String classPath, List<String> jvmFlags, String mainClass, List<String> args, Path log,
      String header, long waitSeconds) throws IOException {
    this.log = log;
    this.waitSeconds = waitSeconds;
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx384m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Xshare:auto");
    command.add("-cp");
    command.add(classPath);
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.add("-Dorg.slf4j.simpleLogger.log.io.beamline=info");
    command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    command.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
    command.addAll(jvmFlags);
    command.add(mainClass);
    command.addAll(args);
    process = new ProcessBuilder(command).redirectErrorStream(true).start();
    pump = new Thread(() -> pump(header), "child-output");
    pump.setDaemon(true);
    pump.start();
  }

  private void pump(String header) {
    try (BufferedReader in =
            new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer out =
            Files.newBufferedWriter(
                log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      out.write(header + "\n");
      for (String line; (line = in.readLine()) != null; ) {
        out.write(line + "\n");
        out.flush();
        lines.add(line);
      }
    } catch (IOException e) {
      lines.add("pump failed: " + e);
    } finally {
      lines.add(EOF);
    }
  }

  /** The next line of output; fails if the child exits or prints nothing for a long time. */
  public String nextLine() throws Exception {
    String line = lines.poll(waitSeconds, TimeUnit.SECONDS);
    if (line == null) {
      fail("the job printed nothing for " + waitSeconds + " s" + tail(log));
    }
    if (line.equals(EOF)) {
      pump.join(TimeUnit.SECONDS.toMillis(10));
      fail("the job exited unexpectedly with " + process.waitFor() + tail(log));
    }
    return line;
  }

  /** Waits until the job blocks at crash point {@code point:epoch} or an output line matches. */
  public boolean awaitLine(java.util.function.Predicate<String> stop, String crashPoint)
      throws Exception {
    while (true) {
      String line = nextLine();
      if (line.startsWith(CRASH_LINE + crashPoint)) {
        return true;
      }
      if (stop.test(line)) {
        return false;
      }
    }
  }

  /** SIGKILLs the job and checks it died of it. */
  public void kill() throws Exception {
    process.destroyForcibly();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertFalse(process.isAlive());
    assertEquals("killed by SIGKILL", 137, process.exitValue());
    pump.join(TimeUnit.SECONDS.toMillis(10));
  }

  /** Waits for the job to end by itself; fails unless it exits with 0. */
  public void awaitSuccess(long seconds) throws Exception {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      fail("the job did not finish in " + seconds + " s" + tail(log));
    }
    pump.join(TimeUnit.SECONDS.toMillis(10));
    assertEquals("the job failed" + tail(log), 0, process.exitValue());
  }

  /** Ends the job if it is still running (test clean-up). */
  public void destroy() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** The last 40 lines of a log, for failure messages. */
  public static String tail(Path log) throws IOException {
    List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
    return "\n--- end of " + log + " ---\n"
        + String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
  }

  /** Lines of a log that contain {@code text}. */
  public static long count(Path log, String text) throws IOException {
    try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
      return lines.filter(l -> l.contains(text)).count();
    }
  }

  /** The last epoch with a {@code commits/N} file in a checkpoint directory, or -1. */
  public static long lastCommittedEpoch(Path checkpoint) throws IOException {
    Path commits = checkpoint.resolve("commits");
    if (!Files.isDirectory(commits)) {
      return -1;
    }
    try (Stream<Path> files = Files.list(commits)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("\\d+"))
          .mapToLong(Long::parseLong).max().orElse(-1);
    }
  }

  /**
   * The test class path with the project's own classes (directories and SNAPSHOT jars) copied
   * into {@code dir} once, so every restart runs the same code even if the modules are rebuilt
   * while the test runs. Class directories become jars: a class-data-sharing archive accepts only
   * jars on the class path.
   */
  public static String frozenClassPath(Path dir) throws IOException {
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path source = Path.of(entry);
      if (!Files.isDirectory(source) && !entry.contains("SNAPSHOT")) {
        entries.add(entry);
        continue;
      }
      Path copy = dir.resolve(n++ + "-" + source.getFileName() + (Files.isDirectory(source) ? ".jar" : ""));
      if (Files.isDirectory(source)) {
        try (Stream<Path> files = Files.walk(source);
            java.util.jar.JarOutputStream jar =
                new java.util.jar.JarOutputStream(Files.newOutputStream(copy))) {
          for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
            jar.putNextEntry(new java.util.jar.JarEntry(
                source.relativize(file).toString().replace(File.separatorChar, '/')));
            Files.copy(file, jar);
            jar.closeEntry();
          }
        }
      } else if (Files.exists(source)) {
        Files.copy(source, copy);
      }
      entries.add(copy.toString());
    }
    return String.join(File.pathSeparator, entries);
  }
}
