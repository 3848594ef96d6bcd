package io.beamline.io.lakehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.beamline.io.kafka.testing.EmbeddedKafka;
import io.beamline.io.kafka.testing.KafkaTopics;
import io.beamline.io.lakehouse.testing.ChildJvm;
import io.beamline.io.lakehouse.testing.LakehouseCrashTestPipeline;
import io.beamline.io.lakehouse.testing.TableContents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Kills the Kafka → windowed aggregate → Iceberg job ({@link LakehouseCrashTestPipeline}) with
 * SIGKILL — at random moments after it made progress and at named points of the epoch protocol
 * and of the sink — restarting it on the same checkpoint directory and warehouse each time, then
 * runs it to completion and compares the table with the table of an uninterrupted run.
 *
 * <p>Setup: the embedded KRaft broker runs in this JVM, the job in child JVMs one after the other
 * ({@code --parallelism=2 --trigger=processingTime --maxRecordsPerBatch=80 --batchInterval=100ms};
 * the uninterrupted and the final runs read up to 2,000 records per epoch with {@code
 * --trigger=availableNow}).
 * The input topic (2 partitions, one per reader) holds unique ids written in transactions of 250 with an aborted
 * transaction after every second one (ids that must never appear), then an end marker per
 * partition. The sink compacts small files every 2 s, so compaction commits interleave with the
 * epochs' appends.
 *
 * <p>{@link #tableIsExactlyOnceAfterTwentyKills}: an uninterrupted run into its own warehouse
 * first, then 20+ kills of the crashed job — {@code lakehouseFilesWritten} (data files durable,
 * nothing committed), {@code lakehouseBeforeCommit}, {@code lakehouseAfterCommit} (table
 * committed, {@code commits/N} not written), {@code afterOffsets} followed by those three in the
 * replays of the epoch it left logged, {@code beforeCommit}, {@code midSnapshot}, and random kills
 * 0–200 ms after 1–3 epochs with rows — then a run with {@code --trigger=availableNow}. Asserts
 * that both tables hold exactly the rows computed from the committed ids (0 duplicates, 0
 * missing, 0 unexpected), that they are equal, that every snapshot of an epoch carries distinct
 * (run, epoch) markers, and that no data file of the sink is left on disk unreferenced by the
 * table (killed attempts' files were swept).
 *
 * <p>{@link #withoutTheEpochCheckReplayedEpochsAreDuplicated} (negative control): the same job with
 * {@code -Dbeamline.lakehouse.ignoreEpochCheck=true}, killed at {@code lakehouseAfterCommit}: the
 * replayed epoch is committed again and the table has duplicate rows.
 *
 * <p>Children's output: {@code target/lakehouse-crash-test/}. {@code -DlakehouseCrashTest.seed=N}
 * varies the random kills.
 */
public class LakehouseCrashRecoveryIT {
  /**
   * Two partitions and two readers: each reader owns one partition, so the watermark (the minimum
   * over partitions) moves from a restarted run's first epochs on and windows keep firing between
   * kills.
   */
  private static final int PARTITIONS = 2;
  private static final int SEED_TRANSACTION = 250;
  private static final long WAIT_SECONDS = 90;
  private static final Pattern EPOCH_LINE = Pattern.compile("\\bepoch (\\d+): (\\d+) rows");
  private static final long KILL_SEED = Long.getLong("lakehouseCrashTest.seed", 2026);

  private static EmbeddedKafka kafka;
  private static String childClassPath;
  /**
   * A class-data-sharing archive of the children's classes, written by the first child that exits
   * normally (the uninterrupted run) and mapped by every later child: the kills' restarts spend
   * most of their time loading classes.
   */
  private static Path classArchive;

  @ClassRule public static final TemporaryFolder classTmp = new TemporaryFolder();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final Random random = new Random(KILL_SEED);
  private final List<ChildJvm> children = new ArrayList<>();

  @BeforeClass
  public static void startBroker() throws Exception {
    childClassPath = ChildJvm.frozenClassPath(classTmp.newFolder("classpath").toPath());
    classArchive = classTmp.getRoot().toPath().resolve("children.jsa");
    kafka = EmbeddedKafka.start();
  }

  @AfterClass
  public static void stopBroker() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  @After
  public void killLeftoverChildren() throws InterruptedException {
    for (ChildJvm child : children) {
      child.destroy();
    }
  }

  @Test
  public void tableIsExactlyOnceAfterTwentyKills() throws Exception {
    long begin = System.nanoTime();
    Scenario s = new Scenario("eos", 6_000, List.of());
    Scenario clean = s.uninterruptedTwin();
    clean.runToCompletion();
    Map<String, Integer> uninterrupted = clean.tableLines();
    assertEquals("the uninterrupted run's table", s.expected, uninterrupted);

    s.randomKill();
    s.pointKill("lakehouseFilesWritten");
    s.randomKill();
    s.pointKill("lakehouseBeforeCommit");
    s.randomKill();
    s.pointKill("lakehouseAfterCommit");
    s.randomKill();
    s.pointKill("afterOffsets");
    // the epoch logged before that kill is replayed and killed after writing its files, replayed
    // and killed before its table commit, replayed and killed after it (before commits/N), and
    // replayed a fourth time: its table commit is skipped by the epoch markers
    s.replayPointKill("lakehouseFilesWritten");
    s.replayPointKill("lakehouseBeforeCommit");
    s.replayPointKill("lakehouseAfterCommit");
    s.randomKill();
    s.pointKill("beforeCommit");
    s.randomKill();
    s.pointKill("midSnapshot");
    while (s.kills < 20) {
      s.randomKill();
    }
    s.runToCompletion();

    Result r = s.verify();
    assertThat(s.kills, greaterThanOrEqualTo(20));
    assertTrue("the table must hold every row exactly once: " + r, r.exact());
    assertEquals("same table as the uninterrupted run", uninterrupted, s.tableLines());
    Set<String> markers = new HashSet<>();
    for (Map<String, String> commit : s.contents().epochCommits(LakehouseCrashTestPipeline.TABLE)) {
      assertTrue("one commit per epoch: " + commit,
          markers.add(commit.get("beamline.run-id") + "/" + commit.get("beamline.epoch")));
    }
    List<String> orphans = s.orphanDataFiles();
    assertEquals("data files of the sink that the table does not reference: " + orphans, 0, orphans.size());
    System.out.printf(
        "lakehouse crash test (seed %d): %d kills (%s), %d replayed epochs, %d table commits skipped"
            + " by their epoch marker, %d killed-attempt files deleted, %d compactions, %s, %d s%n",
        KILL_SEED, s.kills, s.killLog, s.logLines("(replayed)"), s.logLines("is already committed"),
        s.deletedOrphans(), s.logLines("compacted"), r,
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - begin));
  }

  @Test
  public void withoutTheEpochCheckReplayedEpochsAreDuplicated() throws Exception {
    long begin = System.nanoTime();
    Scenario s =
        new Scenario("nocheck", 3_000, List.of("-Dbeamline.lakehouse.ignoreEpochCheck=true"));
    s.pointKill("lakehouseAfterCommit");
    s.randomKill();
    s.pointKill("lakehouseAfterCommit");
    s.runToCompletion();

    Result r = s.verify();
    System.out.printf("lakehouse crash test without the epoch check: %d kills (%s), %s, %d s%n",
        s.kills, s.killLog, r, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - begin));
    assertThat("without the epoch check replayed epochs must be duplicated: " + r, r.duplicates, greaterThan(0L));
    assertEquals("only duplicates, nothing lost or wrong: " + r, 0, r.missing + r.unexpected);
  }

  /** One job: its topic, checkpoint directory, warehouse, and the kills so far. */
  private final class Scenario {
    final String name;
    final String input;
    final Path checkpoint;
    final Path warehouse;
    final Path log;
    final List<String> jvmFlags;
    final Map<String, Integer> expected;
    final List<String> killLog = new ArrayList<>();
    int kills;
    private TableContents contents;

    Scenario(String name, int records, List<String> jvmFlags) throws Exception {
      this(name, "lakehouse-" + name, jvmFlags, null);
      kafka.createTopics(PARTITIONS, input);
      expected.putAll(LakehouseCrashTestPipeline.expected(seed(input, records)));
    }

    private Scenario(String name, String input, List<String> jvmFlags, Map<String, Integer> expected)
        throws Exception {
      this.name = name;
      this.input = input;
      Path dir = tmp.newFolder(name).toPath();
      this.checkpoint = dir.resolve("checkpoint");
      this.warehouse = dir.resolve("warehouse");
      Path logs = Path.of(System.getProperty("lakehouseCrashTest.logDir", "target/lakehouse-crash-test"));
      Files.createDirectories(logs);
      this.log = logs.resolve(name + "-children.log");
      Files.deleteIfExists(log);
      this.jvmFlags = jvmFlags;
      this.expected = expected == null ? new HashMap<>() : expected;
    }

    /** The same input into a fresh checkpoint and warehouse. */
    Scenario uninterruptedTwin() throws Exception {
      return new Scenario(name + "-uninterrupted", input, List.of(), expected);
    }

    ChildJvm start(String crashPoint, String trigger, int maxRecordsPerBatch) throws Exception {
      List<String> flags = new ArrayList<>(jvmFlags);
      if (Files.exists(classArchive)) {
        flags.add("-XX:SharedArchiveFile=" + classArchive);
      } else if (trigger.equals("availableNow")) {
        flags.add("-XX:ArchiveClassesAtExit=" + classArchive); // ends by itself: writes it
      }
      if (crashPoint != null) {
        flags.add("-Dbeamline.crashPoint=" + crashPoint);
      }
      List<String> args =
          List.of(
              "--runner=MicroBatchRunner",
              "--parallelism=2",
              "--checkpointDir=" + checkpoint,
              "--trigger=" + trigger,
              "--maxRecordsPerBatch=" + maxRecordsPerBatch,
              "--batchInterval=100ms",
              "--bootstrapServers=" + kafka.bootstrapServers(),
              "--inputTopic=" + input,
              "--warehouse=" + warehouse);
      String header = "=== " + java.time.LocalTime.now() + " child " + (children.size() + 1)
          + ": trigger " + trigger + (crashPoint == null ? "" : ", crash point " + crashPoint)
          + ", last committed epoch " + ChildJvm.lastCommittedEpoch(checkpoint);
      ChildJvm child = new ChildJvm(childClassPath, flags, LakehouseCrashTestPipeline.class.getName(),
          args, log, header, WAIT_SECONDS);
      children.add(child);
      return child;
    }

    /** Starts the job, waits until it logged 1–3 epochs with rows, lets it run 0–200 ms, kills it. */
    void randomKill() throws Exception {
      ChildJvm child = start(null, "processingTime", 80);
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
      assertFalse(name + ": the job ended by itself" + tail(),
          child.process.waitFor(delay, TimeUnit.MILLISECONDS));
      kill(child, "random(" + epochs + " epochs+" + delay + "ms)");
    }

    /**
     * Kills the job at {@code point} of an epoch two after the last committed one (the first may
     * be a replay); epochs in which no window fires write no files, so the point is tried again
     * on a later epoch if the job passes it.
     */
    void pointKill(String point) throws Exception {
      for (int attempt = 0; attempt < 6; attempt++) {
        if (pointKill(point, ChildJvm.lastCommittedEpoch(checkpoint) + 2 + attempt, "")) {
          return;
        }
      }
      fail(name + ": never reached " + point + tail());
    }

    /** Kills the job at {@code point} while it replays the epoch the last kill left uncommitted. */
    void replayPointKill(String point) throws Exception {
      long target = ChildJvm.lastCommittedEpoch(checkpoint) + 1;
      assertTrue(name + ": epoch " + target + " must be logged and uncommitted",
          Files.exists(checkpoint.resolve("offsets").resolve(Long.toString(target))));
      if (!pointKill(point, target, " (replay)")) {
        fail(name + ": never reached " + point + " in the replay of epoch " + target + tail());
      }
    }

    private boolean pointKill(String point, long target, String note) throws Exception {
      String crashPoint = point + ":" + target;
      ChildJvm child = start(crashPoint, "processingTime", 80);
      boolean reached =
          child.awaitLine(
              line -> {
                Matcher m = EPOCH_LINE.matcher(line);
                return m.find() && Long.parseLong(m.group(1)) >= target;
              },
              crashPoint);
      kill(child, reached ? crashPoint + note : "missed " + crashPoint);
      return reached;
    }

    void runToCompletion() throws Exception {
      ChildJvm child = start(null, "availableNow", 2000);
      child.awaitSuccess(WAIT_SECONDS * 2);
    }

    void kill(ChildJvm child, String what) throws Exception {
      child.kill();
      kills++;
      killLog.add(what);
    }

    TableContents contents() {
      if (contents == null) {
        contents = new TableContents(warehouse.toString());
      }
      return contents;
    }

    Map<String, Integer> tableLines() {
      Map<String, Integer> lines = new HashMap<>();
      for (Record r : contents().records(LakehouseCrashTestPipeline.TABLE)) {
        lines.merge(LakehouseCrashTestPipeline.line(r), 1, Integer::sum);
      }
      return lines;
    }

    Result verify() {
      Map<String, Integer> actual = tableLines();
      Result r = new Result();
      actual.forEach((line, n) -> {
        r.rows += n;
        Integer want = expected.get(line);
        if (want == null) {
          r.unexpected += n;
          r.examples.add("unexpected " + line);
        } else if (n > want) {
          r.duplicates += n - want;
          r.examples.add(n + "x " + line);
        }
      });
      expected.forEach((line, want) -> {
        int have = actual.getOrDefault(line, 0);
        if (have < want) {
          r.missing += want - have;
          r.examples.add("missing " + line);
        }
      });
      return r;
    }

    /**
     * Parquet files of the sink's epochs (names with a {@code bl<tag>} operation id) on disk that
     * no snapshot of the table references.
     */
    List<String> orphanDataFiles() throws Exception {
      Table table = contents().table(LakehouseCrashTestPipeline.TABLE);
      Set<String> referenced = new HashSet<>();
      for (Snapshot s : table.snapshots()) {
        for (DataFile f : s.addedDataFiles(table.io())) {
          referenced.add(Path.of(f.location()).getFileName().toString());
        }
      }
      try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
        tasks.forEach(t -> referenced.add(Path.of(t.file().location()).getFileName().toString()));
      }
      try (Stream<Path> files = Files.walk(Path.of(table.location(), "data"))) {
        return files.filter(Files::isRegularFile)
            .map(f -> f.getFileName().toString())
            .filter(n -> n.matches("\\d{5}-\\d+-bl[0-9a-f]{16}x.*\\.parquet"))
            .filter(n -> !referenced.contains(n))
            .toList();
      }
    }

    long deletedOrphans() throws Exception {
      long n = 0;
      Pattern p = Pattern.compile("deleted (\\d+) data files of killed attempts");
      for (String line : Files.readAllLines(log)) {
        Matcher m = p.matcher(line);
        if (m.find()) {
          n += Long.parseLong(m.group(1));
        }
      }
      return n;
    }

    long logLines(String text) throws Exception {
      return ChildJvm.count(log, text);
    }

    String tail() throws Exception {
      return ChildJvm.tail(log);
    }
  }

  /** Differences between the table and the expected rows. */
  private static final class Result {
    long rows;
    long duplicates;
    long missing;
    long unexpected;
    final List<String> examples = new ArrayList<>();

    boolean exact() {
      return duplicates == 0 && missing == 0 && unexpected == 0;
    }

    @Override
    public String toString() {
      return rows + " rows, " + duplicates + " duplicates, " + missing + " missing, " + unexpected
          + " unexpected" + (examples.isEmpty() ? "" : ", e.g. " + examples.stream().sorted().limit(8).toList());
    }
  }

  /**
   * Seeds {@code topic} with ids 0..records-1 (id {@code i} to partition {@code i % 2}) in
   * transactions of 250 with an aborted transaction after every second one, then an end marker
   * per partition; returns the committed ids as read back with read_committed.
   */
  private static List<Long> seed(String topic, int records) throws Exception {
    Map<String, Object> config = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "seed-" + topic);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
      producer.initTransactions();
      long ghost = 1_000_000_000L;
      for (int i = 0; i < records; i++) {
        if (i % SEED_TRANSACTION == 0) {
          producer.beginTransaction();
        }
        String id = Long.toString(i);
        producer.send(new ProducerRecord<>(topic, i % PARTITIONS, id, id));
        if (i % SEED_TRANSACTION == SEED_TRANSACTION - 1 || i == records - 1) {
          producer.commitTransaction();
          if ((i / SEED_TRANSACTION) % 2 == 1) {
            producer.beginTransaction();
            for (int p = 0; p < PARTITIONS; p++) {
              String g = Long.toString(ghost++);
              producer.send(new ProducerRecord<>(topic, p, g, g));
            }
            producer.flush();
            producer.abortTransaction();
          }
        }
      }
      producer.beginTransaction();
      for (int p = 0; p < PARTITIONS; p++) {
        producer.send(new ProducerRecord<>(topic, p, LakehouseCrashTestPipeline.END, LakehouseCrashTestPipeline.END));
      }
      producer.commitTransaction();
    }
    List<Long> ids = new ArrayList<>();
    for (ConsumerRecord<String, String> r : KafkaTopics.readCommitted(kafka.bootstrapServers(), topic)) {
      if (!r.value().equals(LakehouseCrashTestPipeline.END)) {
        ids.add(Long.parseLong(r.value()));
      }
    }
    assertEquals(records, ids.size());
    return ids;
  }
}
