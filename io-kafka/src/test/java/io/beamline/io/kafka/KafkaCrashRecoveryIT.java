package io.beamline.io.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.beamline.io.kafka.testing.EmbeddedKafka;
import io.beamline.io.kafka.testing.KafkaCrashTestPipeline;
import io.beamline.io.kafka.testing.KafkaTopics;
import io.beamline.sdk.testing.CrashHarness;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Kills the exactly-once Kafka job ({@link KafkaCrashTestPipeline}: Kafka source, keyed running
 * count in state, transactional Kafka sink) with SIGKILL — at random moments after it made progress
 * and at named points of the epoch and sink commit protocols — restarting it on the same checkpoint
 * directory each time, then runs it to completion and checks the output topic as a {@code
 * read_committed} consumer sees it.
 *
 * <p>Setup: the embedded KRaft broker runs in this JVM, the job in child JVMs started one after the
 * other ({@code --runner=MicroBatchRunner --parallelism=2 --trigger=processingTime
 * --maxRecordsPerBatch=100 --batchInterval=100ms}, so an epoch reads about 100 records). The input
 * topic (3 partitions) holds unique ids written in transactions of 250, with an aborted transaction
 * after every second one and at the end: offsets have gaps, and the aborted ids must never appear.
 * The output topic has 2 partitions; the sink's transaction timeout is 5 s.
 *
 * <p>{@link #outputIsExactlyOnceAfterTwentyKills}: 20 kills on one checkpoint directory — {@code
 * midOffsets}, {@code sinkBeforeCommit} (after which the next start waits until the broker has
 * aborted the open transaction by its timeout, so correctness does not depend on the restart
 * fencing it), {@code sinkAfterCommit}, {@code afterOffsets} followed by {@code sinkBeforeCommit}
 * and {@code sinkAfterCommit} in the replays of the epoch it left logged, {@code beforeCommit},
 * {@code midSnapshot}, and random kills 0–200 ms after the child logged 1–3 epochs that read
 * records — then a run with {@code --trigger=availableNow} that stops once the input is consumed.
 * It asserts that no transaction of the sink is open, that the last stable offset of every output
 * partition is its high watermark, and that the read_committed output equals the output of an
 * uninterrupted run as a multiset: 0 duplicates, 0 missing, 0 unexpected records. Since each
 * record's value carries its key's running count, a record counted twice or lost in state shows as
 * a wrong value too.
 *
 * <p>{@link #withoutReplayMarkersReplayedEpochsAreDuplicated} (negative control) runs the scenario
 * with {@code -Dbeamline.kafka.ignoreReplayMarker=true} and kills at {@code sinkAfterCommit}: the
 * replayed epoch is written again and the output has duplicates. The test can fail, and the replay
 * marker is what makes the first one pass.
 *
 * <p>{@link #onRealtimeRunnerOutputIsExactlyOnceAfterTwentyKills} and {@link
 * #onRealtimeRunnerWithoutReplayMarkersReplayedEpochsAreDuplicated} run the same scenarios on
 * RealtimeRunner ({@code --checkpointInterval=100ms}; the job's reading throttled to 150 records/s
 * per task by a {@code RateLimiter}, so the input lasts across the kills; progress from the debug
 * line per checkpoint; the final run killed once 20 checkpoints in a row read nothing). Its sink
 * commits a transaction per checkpoint and shard at the barrier, after {@code offsets/N}; a kill at
 * {@code afterOffsets} leaves an epoch that the restart reads again exactly up to its logged end.
 * The first also kills at {@code barrierInjected}.
 *
 * <p>About 100 s per runner on 2 cores (most of it the ~5 s start of each child JVM). The children's output is
 * kept in {@code target/kafka-crash-test/}; {@code -DkafkaCrashTest.seed=N} varies the random kill
 * moments. Run with {@code mvn -pl io-kafka verify -Dit.test=KafkaCrashRecoveryIT -Dtest=NoSuchTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
public class KafkaCrashRecoveryIT {
  private static final int INPUT_PARTITIONS = 3;
  private static final int OUTPUT_PARTITIONS = 2;

  /** Committed records per committed seeding transaction. */
  private static final int SEED_TRANSACTION = 250;

  private static final long TRANSACTION_TIMEOUT_SECONDS = 5;
  private static final long WAIT_SECONDS = 90;
  private static final Pattern EPOCH_LINE = Pattern.compile("\\bepoch (\\d+): (\\d+) rows");
  private static final String CRASH_LINE = "BEAMLINE-CRASH-POINT ";
  private static final String EOF = "\u0000EOF";

  /** Seed of the random kill moments; {@code -DkafkaCrashTest.seed=…} to vary or reproduce them. */
  private static final long KILL_SEED = Long.getLong("kafkaCrashTest.seed", 2026);

  private static EmbeddedKafka kafka;
  private static String childClassPath;

  @ClassRule public static final TemporaryFolder classTmp = new TemporaryFolder();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final Random random = new Random(KILL_SEED);
  private final List<Child> children = new ArrayList<>();

  @BeforeClass
  public static void startBroker() throws Exception {
    childClassPath = frozenClassPath(classTmp.newFolder("classpath").toPath());
    // look for timed-out transactions every 500 ms (default 10 s), so the timeout wait is short
    kafka =
        EmbeddedKafka.start(
            Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "500"));
  }

  @AfterClass
  public static void stopBroker() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  @After
  public void killLeftoverChildren() throws InterruptedException {
    for (Child child : children) {
      if (child.process.isAlive()) {
        child.process.destroyForcibly();
        child.process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  public void outputIsExactlyOnceAfterTwentyKills() throws Exception {
    exactlyOnceAfterTwentyKills(new Scenario("eos", 6_000, List.of(), false));
  }

  /**
   * The same kills on RealtimeRunner ({@code --checkpointInterval=100ms}): its barrier checkpoints
   * log the offsets, its sink commits one transaction per checkpoint and shard with the marker, and
   * a restart reads a logged but uncommitted epoch again exactly up to its logged end.
   */
  @Test
  public void onRealtimeRunnerOutputIsExactlyOnceAfterTwentyKills() throws Exception {
    exactlyOnceAfterTwentyKills(new Scenario("rt-eos", 6_000, List.of(), true));
  }

  private void exactlyOnceAfterTwentyKills(Scenario s) throws Exception {
    long begin = System.nanoTime();
    // A mix of named points and random moments; epochs are ~100 records (MicroBatchRunner) or
    // 100 ms at ~300 records/s (RealtimeRunner), so every kill happens while there is input left.
    s.randomKill();
    s.pointKill("midOffsets");
    s.randomKill();
    s.pointKill("sinkBeforeCommit");
    s.restartAfterTransactionTimeout();
    s.randomKill();
    s.pointKill("sinkAfterCommit");
    s.randomKill();
    s.pointKill("afterOffsets");
    // the epoch logged before that kill is replayed and killed before its Kafka commit, replayed
    // again and killed after it (before commits/N), and replayed a third time: skipped by the
    // marker
    s.replayPointKill("sinkBeforeCommit");
    s.replayPointKill("sinkAfterCommit");
    s.randomKill();
    s.pointKill("beforeCommit");
    s.randomKill();
    s.pointKill("midSnapshot");
    if (s.realtime) {
      s.pointKill("barrierInjected");
    }
    while (s.kills < 20) {
      s.randomKill();
    }
    s.runToCompletion();

    Result r = s.verify();
    assertThat(s.kills, greaterThanOrEqualTo(20));
    assertTrue(
        "the output must hold every input id exactly once: " + r,
        r.duplicates == 0 && r.missing == 0 && r.unexpected == 0);
    assertEquals(s.expectedCount, r.outputRecords);
    System.out.printf(
        "kafka crash test on %s (seed %d): %d kills (%s), %d replayed epochs, %d replayed shard"
            + " outputs dropped by their marker, %d records read_committed, 0 duplicates, 0 missing,"
            + " restart after the transaction timeout aborted the open transaction (%d ms), %d s%n",
        s.realtime ? "RealtimeRunner" : "MicroBatchRunner",
        KILL_SEED,
        s.kills,
        s.killLog,
        s.logLines(s.realtime ? "over its logged offsets" : "(replayed)"),
        s.logLines("dropping its replayed output"),
        r.outputRecords,
        s.timeoutWaitMillis,
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - begin));
  }

  @Test
  public void withoutReplayMarkersReplayedEpochsAreDuplicated() throws Exception {
    replayedEpochsAreDuplicatedWithoutMarkers(
        new Scenario(
            "nomarker", 3_000, List.of("-Dbeamline.kafka.ignoreReplayMarker=true"), false));
  }

  @Test
  public void onRealtimeRunnerWithoutReplayMarkersReplayedEpochsAreDuplicated() throws Exception {
    replayedEpochsAreDuplicatedWithoutMarkers(
        new Scenario(
            "rt-nomarker", 3_000, List.of("-Dbeamline.kafka.ignoreReplayMarker=true"), true));
  }

  /**
   * The runner switch, exactly-once: one checkpoint directory, the job killed in turn on
   * MicroBatchRunner and RealtimeRunner — at random, after a Kafka commit, and with an epoch
   * logged but not committed by RealtimeRunner, which MicroBatchRunner then replays exactly — and
   * finished on RealtimeRunner. The read_committed output must equal an uninterrupted run's.
   */
  @Test
  public void aJobSwitchedBetweenRunnersStaysExactlyOnce() throws Exception {
    long begin = System.nanoTime();
    Scenario s = new Scenario("switch", 4_000, List.of(), false);
    s.randomKill();
    s.realtime = true;
    s.randomKill();
    s.realtime = false;
    s.pointKill("sinkAfterCommit");
    s.realtime = true;
    s.randomKill();
    s.pointKill("afterOffsets");
    s.realtime = false;
    s.replayPointKill("sinkAfterCommit"); // MicroBatchRunner replays RealtimeRunner's epoch
    s.randomKill();
    s.realtime = true;
    s.runToCompletion();

    Result r = s.verify();
    System.out.printf(
        "kafka runner switch: %d kills (%s), %s, %d s%n",
        s.kills, s.killLog, r, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - begin));
    assertTrue(
        "the output must hold every input id exactly once: " + r,
        r.duplicates == 0 && r.missing == 0 && r.unexpected == 0);
    assertEquals(s.expectedCount, r.outputRecords);
  }

  private void replayedEpochsAreDuplicatedWithoutMarkers(Scenario s) throws Exception {
    long begin = System.nanoTime();
    s.pointKill("sinkAfterCommit");
    s.randomKill();
    s.pointKill("sinkAfterCommit");
    s.runToCompletion();

    Result r = s.verify();
    System.out.printf(
        "kafka crash test without replay markers on %s: %d kills (%s), %s, %d s%n",
        s.realtime ? "RealtimeRunner" : "MicroBatchRunner",
        s.kills,
        s.killLog,
        r,
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - begin));
    assertThat(
        "ignoring the replay markers must duplicate replayed epochs: " + r,
        r.duplicates,
        greaterThan(0L));
    assertEquals("only duplicates, nothing lost or wrong: " + r, 0, r.missing + r.unexpected);
  }

  /** One job: its topics, transactional ids, checkpoint directory, and the kills so far. */
  private final class Scenario {
    final String name;
    final String input;
    final String output;
    final String prefix;
    final Path dir;
    final Path checkpoint;
    final Path log;
    final List<String> jvmFlags;
    final Map<String, Integer> expected;
    final long expectedCount;
    final List<String> killLog = new ArrayList<>();
    /** The next child runs on RealtimeRunner, else on MicroBatchRunner. */
    boolean realtime;
    int kills;
    long timeoutWaitMillis = -1;

    Scenario(String name, int records, List<String> jvmFlags, boolean realtime) throws Exception {
      this.name = name;
      this.realtime = realtime;
      this.input = name + "-in";
      this.output = name + "-out";
      this.prefix = "crash-" + name;
      this.dir = tmp.newFolder(name).toPath();
      this.checkpoint = dir.resolve("checkpoint");
      this.log = logDir().resolve(name + "-children.log");
      Files.deleteIfExists(log);
      this.jvmFlags = jvmFlags;
      kafka.createTopics(INPUT_PARTITIONS, input);
      kafka.createTopics(OUTPUT_PARTITIONS, output);
      this.expected = KafkaCrashTestPipeline.expectedValues(seed(input, records));
      this.expectedCount = expected.values().stream().mapToLong(Integer::longValue).sum();
      assertEquals(records, expectedCount);
    }

    Child start(String crashPoint, String trigger, int maxRecordsPerBatch) throws IOException {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx384m");
      command.add("-XX:+UseSerialGC");
      command.add("-XX:TieredStopAtLevel=1");
      command.add("-cp");
      command.add(childClassPath);
      command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
      command.add("-Dorg.slf4j.simpleLogger.log.io.beamline=info");
      command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
      command.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
      command.addAll(jvmFlags);
      if (crashPoint != null) {
        command.add("-Dbeamline.crashPoint=" + crashPoint);
      }
      if (realtime) {
        // a line per checkpoint: "Checkpoint of epoch N: R rows read since the last"
        command.add(
            "-Dorg.slf4j.simpleLogger.log.io.beamline.runners.realtime.internal.CheckpointWriter"
                + "=debug");
      }
      command.add(KafkaCrashTestPipeline.class.getName());
      command.add("--parallelism=2");
      command.add("--checkpointDir=" + checkpoint);
      if (realtime) {
        command.add("--runner=RealtimeRunner");
        command.add("--checkpointInterval=100ms");
        command.add("--recordsPerSecond=150");
        // a source task takes a barrier between two batches of at most this many records: with
        // the reading throttled, small batches keep barriers (and transactions) about 100 ms apart
        command.add("--maxBundleElements=10");
      } else {
        command.add("--runner=MicroBatchRunner");
        command.add("--trigger=" + trigger);
        command.add("--maxRecordsPerBatch=" + maxRecordsPerBatch);
        command.add("--batchInterval=100ms");
      }
      command.add("--bootstrapServers=" + kafka.bootstrapServers());
      command.add("--inputTopic=" + input);
      command.add("--outputTopic=" + output);
      command.add("--transactionalIdPrefix=" + prefix);
      command.add("--transactionTimeoutSeconds=" + TRANSACTION_TIMEOUT_SECONDS);
      String header =
          "=== "
              + java.time.LocalTime.now()
              + " child "
              + (children.size() + 1)
              + ": trigger "
              + trigger
              + (crashPoint == null ? "" : ", crash point " + crashPoint)
              + ", last committed epoch "
              + lastCommittedEpoch();
      Child child = new Child(command, log, header, this::tail);
      children.add(child);
      return child;
    }

    /**
     * Starts the job, waits until it has committed 1–3 epochs that read records (its progress
     * lines), lets it run 0–200 ms more, and kills it.
     */
    void randomKill() throws Exception {
      Child child = start(null, "processingTime", 100);
      int epochs = 1 + random.nextInt(3);
      int withRows = 0;
      int emptyInARow = 0;
      while (withRows < epochs) {
        Matcher m = EPOCH_LINE.matcher(child.nextLine());
        if (!m.find()) {
          continue;
        }
        if (Long.parseLong(m.group(2)) > 0) {
          withRows++;
          emptyInARow = 0;
        } else if (++emptyInARow >= 30) {
          fail(name + ": the input ran out after " + kills + " kills; seed more records" + tail());
        }
      }
      int delay = random.nextInt(200);
      assertFalse(
          name + ": the job ended by itself" + tail(),
          child.process.waitFor(delay, TimeUnit.MILLISECONDS));
      kill(child, "random(" + epochs + " epochs+" + delay + "ms)");
    }

    /**
     * Starts the job with a crash point two epochs after the last committed one (the first may be a
     * replay, which writes no offsets), waits until the job blocks there, and kills it. If the
     * epoch passes without reaching the point (an epoch that read nothing has no sink transaction),
     * the job is killed anyway and the point tried again later.
     */
    void pointKill(String point) throws Exception {
      for (int attempt = 0; attempt < 3; attempt++) {
        if (pointKill(point, lastCommittedEpoch() + 2, "")) {
          return;
        }
      }
      fail(name + ": never reached " + point + tail());
    }

    /**
     * Kills the job at {@code point} of the epoch after the last committed one, which the last kill
     * left logged in {@code offsets/N} but not committed: the point is reached while that epoch is
     * replayed.
     */
    void replayPointKill(String point) throws Exception {
      long target = lastCommittedEpoch() + 1;
      assertTrue(
          name + ": epoch " + target + " must be logged and uncommitted",
          Files.exists(checkpoint.resolve("offsets").resolve(Long.toString(target))));
      if (!pointKill(point, target, " (replay)")) {
        fail(name + ": never reached " + point + " in the replay of epoch " + target + tail());
      }
    }

    /** Kills the job at {@code point:target}; false if it passed the epoch without reaching it. */
    private boolean pointKill(String point, long target, String note) throws Exception {
      String crashPoint = point + ":" + target;
      Child child = start(crashPoint, "processingTime", 100);
      while (true) {
        String line = child.nextLine();
        if (line.startsWith(CRASH_LINE + crashPoint)) {
          kill(child, crashPoint + note);
          if (point.equals("sinkBeforeCommit")) {
            assertFalse(
                name + ": the killed job's transaction must be open at " + crashPoint,
                ongoingTransactions().isEmpty());
          }
          return true;
        }
        Matcher m = EPOCH_LINE.matcher(line);
        if (m.find() && Long.parseLong(m.group(1)) >= target) {
          kill(child, "missed " + crashPoint);
          return false;
        }
      }
    }

    /**
     * After a kill at {@code sinkBeforeCommit}: waits (on the broker's clock, not for work) until
     * the broker has aborted the killed job's open transaction because its {@code
     * transaction.timeout.ms} passed, so the next start finds it aborted rather than fencing it.
     */
    void restartAfterTransactionTimeout() throws Exception {
      assertTrue(
          name + ": the last kill must have left an open transaction",
          !ongoingTransactions().isEmpty());
      long start = System.nanoTime();
      long deadline = start + TimeUnit.SECONDS.toNanos(TRANSACTION_TIMEOUT_SECONDS * 6);
      while (!ongoingTransactions().isEmpty()) {
        if (System.nanoTime() > deadline) {
          fail(name + ": the broker did not abort " + ongoingTransactions() + " after its timeout");
        }
        TimeUnit.MILLISECONDS.sleep(200); // polling the broker's transaction state
      }
      timeoutWaitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      killLog.add("(aborted by timeout after " + timeoutWaitMillis + " ms)");
    }

    /**
     * The final run: on MicroBatchRunner {@code --trigger=availableNow} stops once the input is
     * consumed; RealtimeRunner's Kafka source never ends, so the run is killed once 20 checkpoints
     * in a row read nothing after the input was consumed (everything it wrote is then committed,
     * and no transaction is open: one begins with an epoch's first record).
     */
    void runToCompletion() throws Exception {
      if (realtime) {
        Child child = start(null, "", 0);
        int idleInARow = 0;
        while (idleInARow < 20) {
          Matcher m = EPOCH_LINE.matcher(child.nextLine());
          if (m.find()) {
            idleInARow = Long.parseLong(m.group(2)) == 0 ? idleInARow + 1 : 0;
          }
        }
        child.process.destroyForcibly();
        child.process.waitFor(30, TimeUnit.SECONDS);
        child.pump.join(TimeUnit.SECONDS.toMillis(10));
        return;
      }
      Child child = start(null, "availableNow", 500);
      if (!child.process.waitFor(WAIT_SECONDS * 2, TimeUnit.SECONDS)) {
        fail(name + ": the final run did not finish" + tail());
      }
      child.pump.join(TimeUnit.SECONDS.toMillis(10));
      assertEquals(name + ": the final run failed" + tail(), 0, child.process.exitValue());
    }

    void kill(Child child, String what) throws Exception {
      child.process.destroyForcibly();
      assertTrue(child.process.waitFor(30, TimeUnit.SECONDS));
      assertFalse(child.process.isAlive());
      assertEquals("killed by SIGKILL", 137, child.process.exitValue());
      child.pump.join(TimeUnit.SECONDS.toMillis(10));
      kills++;
      killLog.add(what);
    }

    /** The last epoch with a {@code commits/N} file, or -1. */
    long lastCommittedEpoch() throws IOException {
      return CrashHarness.lastCommittedEpoch(checkpoint);
    }

    /** Transactional ids of this job's sink whose transaction is open. */
    List<String> ongoingTransactions() throws Exception {
      try (Admin admin = kafka.admin()) {
        return admin.listTransactions().all().get().stream()
            .filter(t -> t.transactionalId().startsWith(prefix + "-"))
            .filter(t -> t.state() == TransactionState.ONGOING)
            .map(TransactionListing::transactionalId)
            .toList();
      }
    }

    /** Checks the broker's state after the final run and compares the output with the expected. */
    Result verify() throws Exception {
      List<String> open = ongoingTransactions();
      assertTrue(name + ": open transactions after the final run: " + open, open.isEmpty());
      assertStableEqualsHighWatermark(output);
      List<String> values = KafkaTopics.readCommittedValues(kafka.bootstrapServers(), output);
      Map<String, Integer> actual = new HashMap<>();
      values.forEach(v -> actual.merge(v, 1, Integer::sum));
      Result r = new Result();
      r.outputRecords = values.size();
      for (Map.Entry<String, Integer> e : actual.entrySet()) {
        Integer want = expected.get(e.getKey());
        if (want == null) {
          r.unexpected += e.getValue();
          r.examples.add("unexpected " + e.getKey());
        } else if (e.getValue() > want) {
          r.duplicates += e.getValue() - want;
          r.examples.add(e.getValue() + "x " + e.getKey());
        }
      }
      for (Map.Entry<String, Integer> e : expected.entrySet()) {
        int have = actual.getOrDefault(e.getKey(), 0);
        if (have < e.getValue()) {
          r.missing += e.getValue() - have;
          r.examples.add("missing " + e.getKey());
        }
      }
      return r;
    }

    /** No open transaction holds back a partition: read_committed end == read_uncommitted end. */
    void assertStableEqualsHighWatermark(String topic) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < OUTPUT_PARTITIONS; p++) {
        partitions.add(new TopicPartition(topic, p));
      }
      assertEquals(
          name + ": last stable offsets vs high watermarks of " + topic,
          endOffsets(partitions, "read_uncommitted"),
          endOffsets(partitions, "read_committed"));
    }

    /** Lines of the children's output that contain {@code text}. */
    long logLines(String text) throws IOException {
      try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
        return lines.filter(l -> l.contains(text)).count();
      }
    }

    String tail() throws IOException {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "\n--- end of "
          + log
          + " ---\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
  }

  /** Differences between the read_committed output and the expected output. */
  private static final class Result {
    long outputRecords;
    long duplicates;
    long missing;
    long unexpected;
    final List<String> examples = new ArrayList<>();

    @Override
    public String toString() {
      return outputRecords
          + " records read_committed, "
          + duplicates
          + " duplicates, "
          + missing
          + " missing, "
          + unexpected
          + " unexpected"
          + (examples.isEmpty() ? "" : ", e.g. " + examples.stream().sorted().limit(8).toList());
    }
  }

  /**
   * A child JVM running the job; its stdout and stderr go, line by line, to the log and a queue.
   */
  private static final class Child {
    final Process process;
    final Thread pump;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final Callable<String> tail;

    Child(List<String> command, Path log, String header, Callable<String> tail) throws IOException {
      this.tail = tail;
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
      pump =
          new Thread(
              () -> {
                try (BufferedReader in =
                        new BufferedReader(
                            new InputStreamReader(
                                process.getInputStream(), StandardCharsets.UTF_8));
                    Writer out =
                        Files.newBufferedWriter(
                            log,
                            StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND)) {
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
              },
              "child-output");
      pump.setDaemon(true);
      pump.start();
    }

    /** The next line of output; fails if the child exits or prints nothing for a long time. */
    String nextLine() throws Exception {
      String line = lines.poll(WAIT_SECONDS, TimeUnit.SECONDS);
      if (line == null) {
        fail("the job printed nothing for " + WAIT_SECONDS + " s" + tail.call());
      }
      if (line.equals(EOF)) {
        pump.join(TimeUnit.SECONDS.toMillis(10));
        fail("the job exited unexpectedly with " + process.waitFor() + tail.call());
      }
      return line;
    }
  }

  /**
   * Seeds {@code topic} with ids 0..records-1 (id {@code i} to partition {@code i % 3}) in
   * transactions of {@value #SEED_TRANSACTION} records, with an aborted transaction after every
   * second one and at the end, and returns the ids of each partition's committed records in offset
   * order, as read back with read_committed.
   */
  /**
   * The test class path for the children, with the project's own classes (class directories and
   * SNAPSHOT jars) copied once: every restart runs the same code, also when the module or its
   * Beamline dependencies are rebuilt while the test runs.
   */
  private static String frozenClassPath(Path dir) throws IOException {
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path source = Path.of(entry);
      if (!Files.isDirectory(source) && !entry.contains("SNAPSHOT")) {
        entries.add(entry);
        continue;
      }
      Path copy = dir.resolve(n++ + "-" + source.getFileName());
      if (Files.isDirectory(source)) {
        try (Stream<Path> files = Files.walk(source)) {
          for (Path file : files.toList()) {
            Path target = copy.resolve(source.relativize(file).toString());
            if (Files.isDirectory(file)) {
              Files.createDirectories(target);
            } else {
              Files.copy(file, target);
            }
          }
        }
      } else if (Files.exists(source)) {
        Files.copy(source, copy);
      }
      entries.add(copy.toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  /**
   * Where the children's output is kept for a post-mortem: {@code target/kafka-crash-test} of the
   * module (failsafe's working directory), or {@code -DkafkaCrashTest.logDir}.
   */
  private static Path logDir() throws IOException {
    Path dir = Path.of(System.getProperty("kafkaCrashTest.logDir", "target/kafka-crash-test"));
    Files.createDirectories(dir);
    return dir;
  }

  private static long[][] seed(String topic, int records) throws Exception {
    Map<String, Object> config =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            "seed-" + topic);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
      producer.initTransactions();
      int aborted = 0;
      for (int i = 0; i < records; i++) {
        if (i % SEED_TRANSACTION == 0) {
          producer.beginTransaction();
        }
        String id = Long.toString(i);
        producer.send(new ProducerRecord<>(topic, i % INPUT_PARTITIONS, id, id));
        if (i % SEED_TRANSACTION == SEED_TRANSACTION - 1 || i == records - 1) {
          producer.commitTransaction();
          if ((i / SEED_TRANSACTION) % 2 == 1 || i == records - 1) {
            // ids that must never appear: records of an aborted transaction (offset gaps)
            producer.beginTransaction();
            for (int p = 0; p < INPUT_PARTITIONS; p++) {
              String ghost = Long.toString(1_000_000_000L + aborted++);
              producer.send(new ProducerRecord<>(topic, p, ghost, ghost));
            }
            producer.flush();
            producer.abortTransaction();
          }
        }
      }
    }
    Map<Integer, List<Long>> byPartition = new TreeMap<>();
    for (ConsumerRecord<String, String> r :
        KafkaTopics.readCommitted(kafka.bootstrapServers(), topic)) {
      byPartition
          .computeIfAbsent(r.partition(), p -> new ArrayList<>())
          .add(Long.parseLong(r.value()));
    }
    long[][] ids = new long[INPUT_PARTITIONS][];
    for (int p = 0; p < INPUT_PARTITIONS; p++) {
      ids[p] = byPartition.getOrDefault(p, List.of()).stream().mapToLong(Long::longValue).toArray();
      for (int k = 0; k < ids[p].length; k++) {
        assertEquals(
            "seeded id at " + topic + "-" + p + " #" + k,
            p + (long) k * INPUT_PARTITIONS,
            ids[p][k]);
      }
    }
    return ids;
  }

  private static Map<TopicPartition, Long> endOffsets(
      List<TopicPartition> partitions, String isolation) {
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                isolation),
            new StringDeserializer(),
            new StringDeserializer())) {
      return consumer.endOffsets(partitions);
    }
  }
}
