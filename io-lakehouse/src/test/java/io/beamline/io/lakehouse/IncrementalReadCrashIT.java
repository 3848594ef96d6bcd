package io.beamline.io.lakehouse;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.beamline.io.lakehouse.internal.CatalogSpec;
import io.beamline.io.lakehouse.internal.SchemaMapping;
import io.beamline.io.lakehouse.internal.Upkeep;
import io.beamline.io.lakehouse.testing.Appender;
import io.beamline.io.lakehouse.testing.ChildJvm;
import io.beamline.io.lakehouse.testing.FollowerPipeline;
import io.beamline.io.lakehouse.testing.TableContents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.apache.beam.sdk.values.Row;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.junit.After;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A second pipeline following a table in streaming mode sees every appended row once across kills
 * and restarts: {@link FollowerPipeline} (Iceberg's appends → {@code IcebergIO.write()}) runs in
 * a child JVM while this test appends snapshots to the source table with Iceberg's own writer
 * (and compacts it once); the follower is SIGKILLed after it made progress, at {@code
 * lakehouseAfterCommit} (its sink committed, {@code commits/N} not written) and at {@code
 * afterOffsets} (its read position for epoch N logged, nothing processed), restarted each time on
 * the same checkpoint, and finally run with {@code --trigger=availableNow}. The target table must
 * hold each source row exactly once.
 */
public class IncrementalReadCrashIT {
  private static final long WAIT_SECONDS = 90;
  private static final int BATCH = 40;
  private static final Pattern EPOCH_LINE = Pattern.compile("\\bepoch (\\d+): (\\d+) rows");

  @ClassRule public static final TemporaryFolder classTmp = new TemporaryFolder();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();
  private final List<ChildJvm> children = new ArrayList<>();
  private String classPath;
  private Path warehouse;
  private Path checkpoint;
  private Path log;
  private Table source;
  private int batches;
  private int kills;
  private final List<String> killLog = new ArrayList<>();

  @After
  public void cleanUp() throws InterruptedException {
    for (ChildJvm c : children) {
      c.destroy();
    }
  }

  private void append(int n) {
    for (int i = 0; i < n; i++) {
      long from = (long) batches * BATCH;
      List<Row> rows = LongStream.range(from, from + BATCH).mapToObj(IcebergWriteIT::row).toList();
      Appender.append(source, rows);
      batches++;
    }
  }

  private ChildJvm start(String crashPoint, String trigger) throws Exception {
    List<String> flags = crashPoint == null ? List.of() : List.of("-Dbeamline.crashPoint=" + crashPoint);
    ChildJvm child = new ChildJvm(classPath, flags, FollowerPipeline.class.getName(),
        List.of("--runner=MicroBatchRunner", "--parallelism=2", "--checkpointDir=" + checkpoint,
            "--trigger=" + trigger, "--maxRecordsPerBatch=30", "--batchInterval=100ms",
            "--warehouse=" + warehouse),
        log, "=== " + java.time.LocalTime.now() + " " + trigger + (crashPoint == null ? "" : " " + crashPoint),
        WAIT_SECONDS);
    children.add(child);
    return child;
  }

  /** Runs until {@code epochs} epochs with rows were logged, appending one batch after the first. */
  private void runThenKill(int epochs) throws Exception {
    ChildJvm child = start(null, "processingTime");
    int seen = 0;
    while (seen < epochs) {
      Matcher m = EPOCH_LINE.matcher(child.nextLine());
      if (m.find() && Long.parseLong(m.group(2)) > 0) {
        if (++seen == 1) {
          append(1); // committed while the follower runs: found by its next look at the table
        }
      }
    }
    assertFalse(child.process.waitFor(50, TimeUnit.MILLISECONDS));
    child.kill();
    kills++;
    killLog.add("after " + epochs + " epochs");
  }

  private void pointKill(String point) throws Exception {
    for (int attempt = 0; attempt < 4; attempt++) {
      long target = ChildJvm.lastCommittedEpoch(checkpoint) + 2 + attempt;
      ChildJvm child = start(point + ":" + target, "processingTime");
      boolean reached = child.awaitLine(line -> {
        Matcher m = EPOCH_LINE.matcher(line);
        return m.find() && Long.parseLong(m.group(1)) >= target;
      }, point + ":" + target);
      child.kill();
      kills++;
      killLog.add((reached ? "" : "missed ") + point + ":" + target);
      if (reached) {
        return;
      }
    }
    fail("never reached " + point + ChildJvm.tail(log));
  }

  @Test
  public void followerSeesEveryAppendedRowOnceAcrossKills() throws Exception {
    long begin = System.nanoTime();
    classPath = ChildJvm.frozenClassPath(classTmp.newFolder("classpath").toPath());
    warehouse = tmp.newFolder("warehouse").toPath();
    checkpoint = tmp.getRoot().toPath().resolve("checkpoint");
    Path logs = Path.of("target", "lakehouse-crash-test");
    Files.createDirectories(logs);
    log = logs.resolve("follower-children.log");
    Files.deleteIfExists(log);
    CatalogSpec catalog = CatalogSpec.embedded(warehouse.toString());
    catalog.ensureNamespace(TableIdentifier.parse(FollowerPipeline.SOURCE));
    source = catalog.catalog().createTable(TableIdentifier.parse(FollowerPipeline.SOURCE),
        SchemaMapping.toIceberg(IcebergWriteIT.SCHEMA), PartitionSpec.unpartitioned());

    append(3);
    runThenKill(2);
    append(4);
    pointKill("lakehouseAfterCommit");
    append(2);
    Upkeep.compact(source, 2, 128L << 20); // a replace snapshot among the appends
    append(2);
    runThenKill(3);
    pointKill("afterOffsets");
    append(3);
    pointKill("lakehouseAfterCommit");
    ChildJvm last = start(null, "availableNow");
    last.awaitSuccess(WAIT_SECONDS * 2);

    TableContents contents = new TableContents(warehouse.toString());
    try {
      Map<Long, Integer> copies = new TreeMap<>();
      for (Record r : contents.records(FollowerPipeline.TARGET)) {
        copies.merge((Long) r.getField("id"), 1, Integer::sum);
      }
      Map<Long, Integer> expected = new TreeMap<>();
      LongStream.range(0, (long) batches * BATCH).forEach(i -> expected.put(i, 1));
      assertEquals("each source row once in the target", expected, copies);
      assertTrue(ChildJvm.count(log, "(replayed)") > 0);
      System.out.printf("incremental read: %d rows in %d appended snapshots (+1 compaction) followed across"
              + " %d kills (%s), %d replayed epochs, %d target commits skipped by their marker, 0"
              + " duplicates, 0 missing, %d s%n",
          copies.size(), batches, kills, killLog, ChildJvm.count(log, "(replayed)"),
          ChildJvm.count(log, "is already committed"),
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - begin));
    } finally {
      contents.close();
      CatalogSpec.close(catalog);
    }
  }
}
