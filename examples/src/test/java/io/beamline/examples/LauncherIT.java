package io.beamline.examples;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The {@code ./beamline} launcher as a new user meets it, each case run as a real process (the
 * script, then the job's JVM on this build's class path): a mistake on the command line is
 * exactly one line and a hint on stderr and exit status 2, with no stack trace and nothing done
 * before it; Ctrl-C stops the streaming job with exit status 130 and no stack trace.
 */
public class LauncherIT {
  private static final Path SCRIPT = Path.of("..", "beamline").toAbsolutePath().normalize();

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** What a finished run of the launcher printed. */
  record Run(int status, String out, List<String> err, Duration took) {}

  private Run run(String... args) throws Exception {
    Process p = start(args);
    assertTrue("the launcher did not finish", p.waitFor(120, TimeUnit.SECONDS));
    return finished(p);
  }

  private Path outFile;
  private Path errFile;
  private long startNanos;

  private Process start(String... args) throws IOException {
    return start(List.of("bash", SCRIPT.toString()), args);
  }

  /**
   * Starts the launcher as a terminal would, with SIGINT at its default disposition. A process
   * started in the background by a non-interactive shell (a CI job, {@code nohup … &}) inherits
   * SIGINT ignored, the JVM then installs no handler for it and Ctrl-C's signal would do nothing;
   * no shell can undo that, so a Python one-liner restores the default and execs the launcher.
   */
  private Process startAsFromATerminal(String... args) throws IOException {
    return start(
        List.of(
            "python3",
            "-c",
            "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL);"
                + " os.execvp('bash', ['bash'] + sys.argv[1:])",
            SCRIPT.toString()),
        args);
  }

  private Process start(List<String> launcher, String... args) throws IOException {
    List<String> command = new ArrayList<>(launcher);
    command.addAll(List.of(args));
    outFile = tmp.newFile().toPath();
    errFile = tmp.newFile().toPath();
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(tmp.getRoot())
            .redirectOutput(outFile.toFile())
            .redirectError(errFile.toFile());
    pb.environment().put("BEAMLINE_CLASSPATH", System.getProperty("java.class.path"));
    startNanos = System.nanoTime();
    return pb.start();
  }

  private Run finished(Process p) throws IOException {
    return new Run(
        p.exitValue(),
        Files.readString(outFile, StandardCharsets.UTF_8),
        Files.readAllLines(errFile, StandardCharsets.UTF_8),
        Duration.ofNanos(System.nanoTime() - startNanos));
  }

  /** Exit status 2 and exactly two lines on stderr: the mistake and a hint; no stack trace. */
  private static void assertUsageError(Run r, String message, String hint) {
    String err = String.join("\n", r.err());
    assertEquals(err, 2, r.status());
    assertEquals(err, 2, r.err().size());
    assertEquals("beamline: " + message, r.err().get(0));
    assertThat(r.err().get(1), startsWith("  hint: "));
    assertThat(r.err().get(1), containsString(hint));
    assertThat(err, not(containsString("Exception")));
    assertEquals("", r.out());
  }

  @Test
  public void unknownOption() throws Exception {
    assertUsageError(
        run("flights", "--parallelizm=2"),
        "unknown option --parallelizm",
        "did you mean --parallelism? ./beamline flights --help=FlightDelaysStreamingOptions");
  }

  @Test
  public void unknownRunnerListsTheRunnersOnTheClassPath() throws Exception {
    assertUsageError(
        run("flights-batch", "--runner=SparkRunnr"),
        "unknown runner 'SparkRunnr'",
        "runners on the class path: DirectRunner, FlinkRunner, MicroBatchRunner, RealtimeRunner,"
            + " TestFlinkRunner, TestMicroBatchRunner, TestRealtimeRunner");
  }

  @Test
  public void whatRealtimeRunnerCannotDoIsAUsageError() throws Exception {
    assertUsageError(
        run("flights", "--runner=RealtimeRunner", "--warehouse=" + tmp.getRoot()),
        "RealtimeRunner does not write the Iceberg tables (their sink commits once per epoch of one"
            + " bundle, which RealtimeRunner's epochs are not); leave --warehouse out: the output"
            + " topic holds the same results",
        "./beamline flights --help=FlightDelaysStreamingOptions lists the options");
    assertUsageError(
        run("flights", "--runner=RealtimeRunner", "--maxBundleElements=0"),
        "--maxBundleElements must be at least 1, got 0",
        "--help=FlightDelaysStreamingOptions");
  }

  @Test
  public void unreadableInput() throws Exception {
    String missing = tmp.getRoot().toPath().resolve("no-such-flights.json").toString();
    assertUsageError(
        run("flights-batch", "--input=" + missing),
        "--input " + missing + ": no such file",
        "leave --input out for the bundled 20,000 flights");
  }

  @Test
  public void invalidRunnerOptions() throws Exception {
    assertUsageError(
        run("flights", "--parallelism=0"),
        "--parallelism must be at least 1, or -1 for the number of cores; was 0",
        "--parallelism=N with N at least 1");
    assertUsageError(
        run("flights-batch", "--batchInterval=5 seconds"),
        "--batchInterval must be a whole number with a unit ms, s or m (e.g. 500ms, 5s), got '5"
            + " seconds'",
        "e.g. --batchInterval=500ms");
    assertUsageError(
        run("flights", "--parallelism=two"),
        "invalid value for --parallelism: 'two' is not a valid Integer",
        "--help=FlightDelaysStreamingOptions");
  }

  /** The mistake is found before {@code --fresh} deletes anything. */
  @Test
  public void unknownStateBackendWithFreshKeepsTheCheckpoint() throws Exception {
    Path checkpoint = tmp.newFolder("checkpoint").toPath();
    Files.writeString(checkpoint.resolve("metadata"), "{}");
    assertUsageError(
        run("flights", "--fresh", "--checkpointDir=" + checkpoint, "--stateBackend=foo"),
        "--stateBackend must be heap or rocksdb, got foo",
        "--stateBackend=heap (the default) or --stateBackend=rocksdb");
    assertTrue(Files.exists(checkpoint.resolve("metadata")));
  }

  @Test
  public void unreachableBootstrapServersFailsWithinTenSeconds() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort(); // closed again: nothing listens there
    }
    long jvm = System.nanoTime();
    Run r = run("flights", "--bootstrapServers=127.0.0.1:" + port);
    assertUsageError(
        r,
        "no Kafka broker answered at --bootstrapServers=127.0.0.1:" + port + " within 8 s",
        "Leave --bootstrapServers out to run on the job's embedded broker");
    // the whole run, JVM start included, on a loaded 2-core machine
    assertThat(r.took(), lessThan(Duration.ofSeconds(30)));
    assertThat(Duration.ofNanos(System.nanoTime() - jvm), lessThan(Duration.ofSeconds(30)));
  }

  @Test
  public void unknownJob() throws Exception {
    Run r = run("flight");
    assertEquals(2, r.status());
    assertEquals("beamline: unknown job 'flight'", r.err().get(0));
  }

  /** SIGINT (what Ctrl-C sends) while the streaming job runs: it stops cleanly, status 130. */
  @Test
  public void ctrlCStopsTheStreamingJobWithoutAStackTrace() throws Exception {
    Process p =
        startAsFromATerminal(
            "flights",
            "--speedup=50000",
            "--uiPort=0",
            "--checkpointDir=" + tmp.newFolder("ctrl-c").toPath());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (!Files.readString(outFile).contains("epoch   2:")) {
      assertTrue("no epoch 2 within 180 s: " + Files.readString(outFile), System.nanoTime() < deadline);
      assertTrue("the job ended early: " + Files.readString(errFile), p.isAlive());
      Thread.sleep(200); // the polling interval; the job's output, not the time, ends the wait
    }
    // the script exec's java, so the process is the JVM; signal it as a terminal's Ctrl-C would
    new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start().waitFor();
    assertTrue("the job did not stop within 60 s", p.waitFor(60, TimeUnit.SECONDS));
    Run r = finished(p);
    String err = String.join("\n", r.err());
    assertEquals(r.out() + err, 130, r.status());
    assertThat(r.out(), containsString("Stopping (Ctrl-C)..."));
    assertThat(r.out(), containsString("run it again to resume"));
    assertThat(err, not(containsString("Exception")));
    assertThat(err, not(containsString("\tat ")));
  }
}
