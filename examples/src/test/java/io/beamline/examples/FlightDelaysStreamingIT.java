package io.beamline.examples;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.beamline.io.kafka.testing.EmbeddedKafka;
import io.beamline.io.kafka.testing.KafkaTopics;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The streaming flights job against real (embedded) Kafka brokers: its output topic, read with
 * {@code read_committed}, holds exactly the lines of the batch job on the same flights — in one
 * run at full speed, and across a stop (SIGTERM, as Ctrl-C) and a restart, on an external broker
 * (every line once; a further run finds nothing to do) and on the job's own embedded broker (whose
 * log is kept next to the checkpoint: after the restart its output topic holds every window once,
 * and the summary counts the whole job).
 */
public class FlightDelaysStreamingIT {
  /** At most this many records per epoch, so that even a full-speed replay takes many epochs. */
  private static final String RECORDS_PER_EPOCH = "--maxRecordsPerBatch=1500";
  private static final Instant STOP_AFTER = Instant.parse("2001-02-01T00:00:00Z");
  private static final Pattern EPOCH_LINE =
      Pattern.compile("^epoch +\\d+: .*watermark (\\S+?)(,| |$)");

  @ClassRule public static final TemporaryFolder SHARED = new TemporaryFolder();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static EmbeddedKafka kafka;
  private static List<String> batchHourly;
  private static List<String> batchDailyTop;

  @BeforeClass
  public static void startBrokerAndRunBatchJob() throws Exception {
    kafka = EmbeddedKafka.start();
    Path output = SHARED.newFolder("batch").toPath();
    FlightDelays.run(
        PipelineOptionsFactory.fromArgs(
                "--runner=MicroBatchRunner",
                "--input=" + FlightDelays.BUNDLED_INPUT,
                "--output=" + output)
            .as(FlightDelaysOptions.class));
    batchHourly = sorted(JobSummary.readOutputLines(output.resolve(FlightDelays.HOURLY_DIR)));
    batchDailyTop = sorted(JobSummary.readOutputLines(output.resolve(FlightDelays.DAILY_TOP_DIR)));
    assertThat(batchHourly, hasSize(17_473));
    assertThat(batchDailyTop, hasSize(892));
  }

  @AfterClass
  public static void stopBroker() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  public void fullSpeedReplayWritesExactlyTheBatchResults() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    StreamingSummary summary =
        run(
            printed,
            options(
                "t1",
                "--bootstrapServers=" + kafka.bootstrapServers(),
                "--checkpointDir=" + tmp.newFolder(),
                "--speedup=0",
                RECORDS_PER_EPOCH));

    assertTrue("complete", summary.complete());
    assertFalse("resumed", summary.resumed());
    assertEquals("late rows", 0, summary.lateRowsDropped());
    assertThat("epochs", summary.epochs(), greaterThan(10));
    assertEquals(20_005, summary.rowsRead()); // 20,000 flights, 2 malformed, 3 end markers (one per partition)
    assertOutputTopicEqualsBatch("t1-out");
    assertEquals(batchHourly, sorted(summary.hourly()));
    assertEquals(batchDailyTop, sorted(summary.dailyTop()));

    List<String> dead = KafkaTopics.readCommittedValues(kafka.bootstrapServers(), "t1-dead");
    assertThat(dead, hasSize(2));
    assertThat(String.join("\n", dead), containsString("malformed flight: unparseable JSON"));
    assertThat(String.join("\n", dead), containsString("malformed flight: bad date"));
    String out = printed.toString(StandardCharsets.UTF_8);
    assertThat(out, containsString("every window is in the output topic"));
    assertThat(out, containsString("17,473 hourly-by-origin, 892 daily-top10"));
  }

  @Test
  public void realtimeRunnerWritesTheBatchResults() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    StreamingSummary summary =
        run(
            printed,
            options(
                "rt",
                "--runner=RealtimeRunner",
                "--bootstrapServers=" + kafka.bootstrapServers(),
                "--speedup=0"));

    String out = printed.toString(StandardCharsets.UTF_8);
    assertTrue("complete; output:\n" + out, summary.complete());
    assertEquals("no checkpoint on RealtimeRunner", null, summary.checkpointDir());
    assertEquals(20_005, summary.rowsRead());
    assertOutputTopicEqualsBatch("rt-out");
    assertThat(KafkaTopics.readCommittedValues(kafka.bootstrapServers(), "rt-dead"), hasSize(2));
    assertThat(out, containsString("on RealtimeRunner"));
    assertThat(out, containsString("every stage running continuously"));
  }

  @Test
  public void realtimeRunnerRefusesACheckpointDirectoryAndAWarehouse() {
    for (String option : List.of("--checkpointDir=" + tmp.getRoot(), "--warehouse=" + tmp.getRoot())) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> StreamingJob.check(options("rt2", "--runner=RealtimeRunner", option)));
      assertThat(e.getMessage(), containsString("RealtimeRunner"));
      assertThat(e.getMessage(), containsString("leave --" + option.substring(2, option.indexOf('='))));
    }
  }

  @Test
  public void stoppedAndResumedJobWritesEveryWindowExactlyOnce() throws Exception {
    Path checkpoint = tmp.newFolder().toPath();
    String[] args = {
      "--bootstrapServers=" + kafka.bootstrapServers(),
      "--checkpointDir=" + checkpoint,
      "--inputTopic=t2-in",
      "--outputTopic=t2-out",
      "--deadLetterTopic=t2-dead",
      RECORDS_PER_EPOCH
    };
    // First run in its own JVM, paced, stopped with SIGTERM (what Ctrl-C does) in mid-replay.
    String first = runChildUntilStopped(checkpoint, append(args, "--speedup=1000000"));
    assertThat(first, containsString("stopped after"));
    int before = KafkaTopics.readCommittedValues(kafka.bootstrapServers(), "t2-out").size();
    assertThat("results before the stop", before, greaterThan(0));
    assertThat("results before the stop", before, lessThan(18_365));

    // Second run, here, at full speed: resumes the checkpoint, completes the output topic.
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    FlightDelaysStreamingOptions options =
        PipelineOptionsFactory.fromArgs(append(args, "--runner=MicroBatchRunner", "--speedup=0"))
            .as(FlightDelaysStreamingOptions.class);
    StreamingSummary summary =
        new StreamingJob(options, new PrintStream(printed, true, StandardCharsets.UTF_8)).run();

    assertTrue("complete", summary.complete());
    assertTrue("resumed", summary.resumed());
    assertEquals("late rows", 0, summary.lateRowsDropped());
    assertThat(summary.recordsAlreadyInTopic(), greaterThan(0L));
    assertOutputTopicEqualsBatch("t2-out");
    assertThat(KafkaTopics.readCommittedValues(kafka.bootstrapServers(), "t2-dead"), hasSize(2));

    // A third run finds nothing left to do and writes nothing.
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    StreamingSummary third =
        new StreamingJob(
                PipelineOptionsFactory.fromArgs(append(args, "--runner=MicroBatchRunner", "--speedup=0"))
                    .as(FlightDelaysStreamingOptions.class),
                new PrintStream(again, true, StandardCharsets.UTF_8))
            .run();
    assertTrue("complete", third.complete());
    assertEquals("records sent", 0, third.recordsSent());
    assertEquals("rows read this run", 0, third.rowsReadThisRun());
    assertEquals("rows read by the whole job", 20_005, third.rowsRead());
    assertThat(again.toString(StandardCharsets.UTF_8), containsString("Nothing was left to do"));
    assertOutputTopicEqualsBatch("t2-out");
  }

  @Test
  public void rerunsOnTheEmbeddedBrokerResumeTheCheckpoint() throws Exception {
    Path checkpoint = tmp.newFolder().toPath();
    String[] args = {"--checkpointDir=" + checkpoint, RECORDS_PER_EPOCH};
    // As ./beamline: the job starts its own broker. Stopped in mid-replay, then run again.
    String first = runChildUntilStopped(checkpoint, append(args, "--speedup=1000000"));
    String second = runChild(checkpoint, append(args, "--speedup=0"));

    assertThat(first, containsString("stopped after"));
    assertThat(second, containsString("resuming it"));
    assertThat(second, containsString("every window is in the output topic"));
    // The broker's log is kept next to the checkpoint: the resumed run's output topic holds the
    // first run's results too, every window once, and its summary counts the whole job.
    assertThat(count(first, FlightDelays.HOURLY_DIR), lessThan(17_473));
    assertEquals(17_473, count(second, FlightDelays.HOURLY_DIR));
    assertEquals(892, count(second, FlightDelays.DAILY_TOP_DIR));
    assertThat(second, containsString("processed  20,005 records"));
    assertThat(second, containsString(", 0 late rows dropped"));
  }

  private static FlightDelaysStreamingOptions options(String prefix, String... extra) {
    boolean runnerGiven = List.of(extra).stream().anyMatch(a -> a.startsWith("--runner="));
    List<String> args = new ArrayList<>(List.of(
        runnerGiven ? "--streaming=true" : "--runner=MicroBatchRunner",
        "--inputTopic=" + prefix + "-in",
        "--outputTopic=" + prefix + "-out",
        "--deadLetterTopic=" + prefix + "-dead"));
    args.addAll(List.of(extra));
    return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new))
        .as(FlightDelaysStreamingOptions.class);
  }

  /** Runs the job in this JVM to its end; what it prints goes to {@code printed}. */
  private static StreamingSummary run(ByteArrayOutputStream printed, FlightDelaysStreamingOptions options)
      throws Exception {
    return new StreamingJob(options, new PrintStream(printed, true, StandardCharsets.UTF_8)).run();
  }

  /** The output topic's results, by key, equal the batch job's lines; each line once. */
  private static void assertOutputTopicEqualsBatch(String topic) {
    Map<String, List<String>> byKey = new TreeMap<>();
    for (ConsumerRecord<String, String> r :
        KafkaTopics.readCommitted(kafka.bootstrapServers(), topic)) {
      byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
    }
    assertEquals(
        "keys", List.of(FlightDelays.DAILY_TOP_DIR, FlightDelays.HOURLY_DIR),
        new ArrayList<>(byKey.keySet()));
    assertEquals(FlightDelays.HOURLY_DIR, batchHourly, sorted(byKey.get(FlightDelays.HOURLY_DIR)));
    assertEquals(
        FlightDelays.DAILY_TOP_DIR, batchDailyTop, sorted(byKey.get(FlightDelays.DAILY_TOP_DIR)));
  }

  /** Window results of one kind a run's summary reports, e.g. {@code 8,638 hourly-by-origin}. */
  private static int count(String output, String kind) {
    Matcher m = Pattern.compile("\\(the whole job\\): ([\\d,]+) hourly-by-origin, ([\\d,]+) daily-top10")
        .matcher(output);
    assertTrue("summary line in:\n" + output, m.find());
    String n = kind.equals(FlightDelays.HOURLY_DIR) ? m.group(1) : m.group(2);
    return Integer.parseInt(n.replace(",", ""));
  }

  private static List<String> sorted(List<String> lines) {
    List<String> copy = new ArrayList<>(lines);
    Collections.sort(copy);
    return copy;
  }

  private static String[] append(String[] args, String... more) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  private static ProcessBuilder child(Path dir, String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", // C1 only: these short runs are mostly warm-up
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", System.getProperty("java.class.path"),
        FlightDelaysStreaming.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolveSibling(dir.getFileName() + ".stderr.log").toFile()));
  }

  /** Runs the job in a new JVM to its end; returns what it printed. */
  private static String runChild(Path dir, String... args) throws Exception {
    Process process = child(dir, args).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue("child JVM ends", process.waitFor(3, TimeUnit.MINUTES));
    assertEquals("exit status; output:\n" + out, 0, process.exitValue());
    return out;
  }

  /**
   * Runs the job in a new JVM and sends it SIGTERM as soon as it prints an epoch whose watermark
   * passed {@link #STOP_AFTER}; returns what it printed.
   */
  private static String runChildUntilStopped(Path dir, String... args) throws Exception {
    Process process = child(dir, args).start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      boolean signalled = false;
      for (String line; (line = lines.readLine()) != null; ) {
        out.append(line).append('\n');
        Matcher m = EPOCH_LINE.matcher(line);
        if (!signalled && m.find() && !m.group(1).equals("-inf")
            && !Instant.parse(m.group(1)).isBefore(STOP_AFTER)) {
          // SIGTERM, which the job's shutdown hook handles like Ctrl-C. Through the handle:
          // Process.destroy() would also close the pipe the summary comes through.
          process.toHandle().destroy();
          signalled = true;
        }
      }
      assertTrue("stopped in mid-replay; output:\n" + out, signalled);
    } finally {
      if (!process.waitFor(2, TimeUnit.MINUTES)) {
        process.destroyForcibly();
      }
    }
    return out.toString();
  }
}
