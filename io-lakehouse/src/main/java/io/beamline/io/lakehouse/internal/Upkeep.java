package io.beamline.io.lakehouse.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.actions.BinPackRewriteFilePlanner;
import org.apache.iceberg.actions.FileRewritePlan;
import org.apache.iceberg.actions.RewriteDataFiles;
import org.apache.iceberg.actions.RewriteDataFilesCommitManager;
import org.apache.iceberg.actions.RewriteFileGroup;
import org.apache.iceberg.data.GenericAppenderFactory;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Table upkeep that a commit per epoch makes necessary, run by the sink's committer after a commit
 * (at most once per {@link UpkeepSpec#intervalMillis()} per table and JVM) or by {@code
 * IcebergTableTool}:
 *
 * <ul>
 *   <li><b>compaction</b>: Iceberg's own bin-packing planner ({@link BinPackRewriteFilePlanner},
 *       the planner behind Spark's {@code rewrite_data_files}) picks, per partition, groups of at
 *       least {@code minFiles} files smaller than 3/4 of the target size; each group is read with
 *       {@link TaskReader} and written into files of up to the target size, and all groups are
 *       committed as one {@code replace} snapshot through Iceberg's {@code
 *       RewriteDataFilesCommitManager} (which validates against concurrent deletes). Appends
 *       committed meanwhile are not affected. Rows and their values are unchanged; readers see
 *       the same table.
 *   <li><b>snapshot expiry</b>: Iceberg's {@code ExpireSnapshots}, keeping the newest {@code
 *       retainLast} snapshots whatever their age; data and manifest files that only expired
 *       snapshots used are deleted.
 * </ul>
 */
public final class Upkeep {
  private static final Logger LOG = LoggerFactory.getLogger(Upkeep.class);
  private static final Map<String, Long> LAST_RUN = new ConcurrentHashMap<>();

  private Upkeep() {}

  /** Runs the configured upkeep on {@code table} if it has not run within the interval. */
  static void maybeRun(UpkeepSpec spec, Table table) {
    if (!spec.expires() && !spec.compacts()) {
      return;
    }
    long now = System.currentTimeMillis();
    String key = table.uuid().toString();
    Long last = LAST_RUN.putIfAbsent(key, now);
    if (last == null || now - last < spec.intervalMillis()) {
      return; // the first commit in this JVM starts the clock: upkeep never delays a (re)start
    }
    LAST_RUN.put(key, now);
    try {
      if (spec.compacts()) {
        compact(table, spec.compactMinFiles(), spec.targetFileBytes());
      }
      if (spec.expires()) {
        expire(table, now - spec.expireAfterMillis(), spec.retainLast());
      }
    } catch (RuntimeException e) {
      // upkeep is an optimisation: the epoch's commit stands, the next interval tries again
      LOG.warn("{}: upkeep failed, will retry in the next interval: {}", table.name(), e.toString());
    }
  }

  /**
   * Expires snapshots older than {@code olderThanMillis} (epoch millis) beyond the newest {@code
   * retainLast}; returns how many were expired.
   */
  public static int expire(Table table, long olderThanMillis, int retainLast) {
    table.refresh();
    int before = countSnapshots(table);
    table.expireSnapshots().expireOlderThan(olderThanMillis).retainLast(Math.max(1, retainLast)).commit();
    table.refresh();
    int expired = before - countSnapshots(table);
    if (expired > 0) {
      LOG.info("{}: expired {} snapshots", table.name(), expired);
    }
    return expired;
  }

  private static int countSnapshots(Table table) {
    int n = 0;
    for (Snapshot ignored : table.snapshots()) {
      n++;
    }
    return n;
  }

  /**
   * Rewrites groups of at least {@code minFiles} small data files of a partition into files of
   * about {@code targetFileBytes}; returns how many files were rewritten (0 if none qualified).
   */
  public static int compact(Table table, int minFiles, long targetFileBytes) {
    table.refresh();
    if (table.currentSnapshot() == null) {
      return 0;
    }
    BinPackRewriteFilePlanner planner = new BinPackRewriteFilePlanner(table);
    planner.init(
        Map.of(
            BinPackRewriteFilePlanner.MIN_INPUT_FILES, Integer.toString(Math.max(2, minFiles)),
            BinPackRewriteFilePlanner.TARGET_FILE_SIZE_BYTES, Long.toString(targetFileBytes)));
    FileRewritePlan<RewriteDataFiles.FileGroupInfo, FileScanTask, DataFile, RewriteFileGroup> plan =
        planner.plan();
    long startingSnapshot = table.currentSnapshot().snapshotId();
    Set<RewriteFileGroup> groups = new HashSet<>();
    int rewritten = 0;
    try (CloseableIterable<RewriteFileGroup> planned = plan.groups()) {
      for (RewriteFileGroup group : planned) {
        group.setOutputFiles(rewrite(table, group));
        groups.add(group);
        rewritten += group.inputFileNum();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (groups.isEmpty()) {
      return 0;
    }
    new RewriteDataFilesCommitManager(
            table, startingSnapshot, true, Map.of("beamline.compaction", "true"))
        .commitOrClean(groups);
    LOG.info("{}: compacted {} small data files in {} groups", table.name(), rewritten, groups.size());
    return rewritten;
  }

  /**
   * Writes the rows of {@code group} into new files of the table's current spec, one open file per
   * partition, rolled at the group's max output size.
   */
  private static Set<DataFile> rewrite(Table table, RewriteFileGroup group) throws IOException {
    PartitionSpec spec = table.specs().get(group.outputSpecId());
    GenericAppenderFactory appenders = new GenericAppenderFactory(table.schema(), spec);
    appenders.setAll(table.properties());
    OutputFileFactory files =
        OutputFileFactory.builderFor(table, 0, 0)
            .format(FileFormat.PARQUET)
            .operationId("compact" + Long.toHexString(System.nanoTime()))
            .build();
    PartitionKey key = new PartitionKey(spec, table.schema());
    InternalRecordWrapper wrapper = new InternalRecordWrapper(table.schema().asStruct());
    Map<StructLike, DataWriter<Record>> open = new HashMap<>();
    Set<DataFile> out = new HashSet<>();
    try {
      for (FileScanTask task : group.fileScanTasks()) {
        try (CloseableIterable<Record> records =
            TaskReader.open(table.io(), table.schema(), table.schema(), task)) {
          for (Record r : records) {
            StructLike partition = null;
            if (!spec.isUnpartitioned()) {
              key.partition(wrapper.wrap(r));
              partition = key;
            }
            DataWriter<Record> writer = open.get(partition);
            if (writer == null) {
              StructLike copy = partition == null ? null : key.copy();
              writer =
                  appenders.newDataWriter(
                      copy == null ? files.newOutputFile() : files.newOutputFile(spec, copy),
                      FileFormat.PARQUET,
                      copy);
              open.put(copy, writer);
            }
            writer.write(r);
            if (writer.length() >= group.maxOutputFileSize()) {
              writer.close();
              out.add(writer.toDataFile());
              open.remove(partition);
            }
          }
        }
      }
      for (DataWriter<Record> writer : open.values()) {
        writer.close();
        out.add(writer.toDataFile());
      }
    } catch (IOException | RuntimeException e) {
      for (DataWriter<Record> writer : open.values()) {
        try {
          writer.close();
          out.add(writer.toDataFile());
        } catch (IOException | RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      for (DataFile f : out) {
        table.io().deleteFile(f.location());
      }
      throw e;
    }
    return out;
  }

  /** For tests: forget when upkeep last ran. */
  static void reset() {
    LAST_RUN.clear();
  }
}
