package io.beamline.io.lakehouse.internal;

import io.beamline.sdk.testing.CrashPoints;
import io.beamline.sdk.io.EpochInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.exceptions.CommitStateUnknownException;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.SupportsPrefixOperations;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits the data files of one table for one epoch (or, outside a checkpointed run, for one
 * bundle or the whole bounded input) as <b>one</b> Iceberg {@code AppendFiles}, exactly once per
 * epoch across replays:
 *
 * <ol>
 *   <li>the table is refreshed and the last epoch this sink committed to it in this run is looked
 *       up in the snapshot summaries ({@link EpochMarkers});
 *   <li>if epoch N is already there (the process died after the table commit and before {@code
 *       commits/N}), the files of this attempt are deleted and nothing is committed;
 *   <li>otherwise the files are appended in one commit whose summary carries {@code
 *       beamline.app}, {@code beamline.run-id}, {@code beamline.sink} and {@code beamline.epoch};
 *   <li>in a replayed epoch, data files of this sink, run and epoch that the epoch's snapshot does
 *       not reference (written by the killed attempt) are deleted;
 *   <li>upkeep ({@link Upkeep}) may follow.
 * </ol>
 *
 * <p>Crash points: {@code lakehouseBeforeCommit} (files written and known to the committer, table
 * not committed) and {@code lakehouseAfterCommit} (table committed, {@code commits/N} not written).
 * Testing only: {@code -Dbeamline.lakehouse.ignoreEpochCheck=true} skips step 2, so the crash test
 * can show that without it replayed epochs are committed twice.
 */
public final class TableCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(TableCommitter.class);
  private static final boolean IGNORE_EPOCH_CHECK =
      Boolean.getBoolean("beamline.lakehouse.ignoreEpochCheck");

  private static final Counter COMMITS = Metrics.counter(TableCommitter.class, "tableCommits");
  private static final Counter SKIPPED =
      Metrics.counter(TableCommitter.class, "replayedCommitsSkipped");
  private static final Counter SWEPT = Metrics.counter(TableCommitter.class, "orphanFilesDeleted");

  private TableCommitter() {}

  /**
   * Commits {@code batches}, all for table {@code tableName}.
   *
   * @param epoch the current epoch, or null outside a checkpointed Beamline run
   * @throws IllegalStateException if a batch belongs to another epoch than {@code epoch}
   */
  public static void commit(
      WriteSpec spec, String tableName, List<FileBatch> batches, @Nullable EpochInfo epoch) {
    List<DataFile> files = new ArrayList<>();
    long records = 0;
    for (FileBatch b : batches) {
      if (epoch != null && b.epoch() != epoch.epoch()) {
        throw new IllegalStateException(
            "The committer of " + tableName + " received files of epoch " + b.epoch()
                + " in epoch " + epoch.epoch() + ": a bundle spans epochs");
      }
      files.addAll(b.files());
      records += b.records();
    }
    if (files.isEmpty()) {
      return;
    }
    long start = System.nanoTime();
    Table table = Tables.prepared(spec, tableName);
    try {
      table.refresh();
    } catch (org.apache.iceberg.exceptions.NoSuchTableException e) {
      // dropped (and maybe recreated) since this JVM cached it: the files were written for the
      // old table's schema and location, so the epoch fails and its replay writes them anew
      Tables.forget(spec, tableName);
      throw new IllegalStateException(
          "Table " + tableName + " was dropped while the job wrote to it; the epoch is retried on"
              + " restart", e);
    }
    try {
      if (epoch == null) {
        append(spec, table, files, null);
        LOG.debug("{}: committed {} files, {} rows", tableName, files.size(), records);
      } else {
        commitEpoch(spec, table, files, records, epoch);
      }
      Upkeep.maybeRun(spec.upkeep(), table);
    } finally {
      if (epoch != null) {
        epoch.addSinkCommitNanos(System.nanoTime() - start);
      }
    }
  }

  private static void commitEpoch(
      WriteSpec spec, Table table, List<DataFile> files, long records, EpochInfo epoch) {
    long n = epoch.epoch();
    long last =
        IGNORE_EPOCH_CHECK ? -1 : EpochMarkers.lastCommitted(table, epoch.runId(), spec.sinkId());
    if (IGNORE_EPOCH_CHECK) {
      LOG.warn("{}: epoch check disabled (beamline.lakehouse.ignoreEpochCheck): replayed epochs"
          + " are committed again", table.name());
    }
    if (n <= last) {
      LOG.info(
          "{}: epoch {} of run {} is already committed (last committed epoch {}); dropping its"
              + " replayed files",
          table.name(), n, epoch.runId(), last);
      files.forEach(f -> table.io().deleteFile(f.location()));
      SKIPPED.inc();
    } else {
      append(spec, table, files, epoch);
      LOG.debug("{}: committed epoch {}: {} files, {} rows", table.name(), n, files.size(), records);
    }
    if (epoch.replay()) {
      List<Snapshot> ours = EpochMarkers.findAll(table, epoch.runId(), spec.sinkId(), n);
      if (!ours.isEmpty()) {
        sweep(table, spec.fileTag(epoch.runId()), n, ours);
      }
    }
  }

  private static void append(WriteSpec spec, Table table, List<DataFile> files, EpochInfo epoch) {
    AppendFiles append = table.newAppend();
    files.forEach(append::appendFile);
    append.set(EpochMarkers.APP, spec.app()).set(EpochMarkers.SINK, spec.sinkId());
    if (epoch != null) {
      append.set(EpochMarkers.RUN, epoch.runId()).set(EpochMarkers.EPOCH, Long.toString(epoch.epoch()));
      CrashPoints.reached("lakehouseBeforeCommit", epoch.epoch());
    }
    try {
      append.commit();
    } catch (CommitStateUnknownException e) {
      // maybe committed: the restart's replay decides by the markers; the files must stay
      if (epoch != null) {
        EpochMarkers.forget(table, epoch.runId(), spec.sinkId());
      }
      throw e;
    } catch (RuntimeException e) {
      files.forEach(f -> table.io().deleteFile(f.location())); // certainly not committed
      throw e;
    }
    COMMITS.inc();
    if (epoch != null) {
      EpochMarkers.committed(table, epoch.runId(), spec.sinkId(), epoch.epoch());
      CrashPoints.reached("lakehouseAfterCommit", epoch.epoch());
    }
  }

  /**
   * Deletes the data files of the sink ({@code tag}) for {@code epoch} that {@code ours}, the
   * epoch's committed snapshot(s), did not add: the output of killed attempts. Only names that carry
   * the tag and the epoch are candidates, so no other writer's file, and no file of another epoch
   * (whose snapshot may have been expired while its files are live), is ever touched.
   */
  static int sweep(Table table, String tag, long epoch, List<Snapshot> ours) {
    if (!(table.io() instanceof SupportsPrefixOperations io)) {
      LOG.warn("{}: its FileIO cannot list files; leftovers of killed attempts stay", table.name());
      return 0;
    }
    Set<String> keep = new HashSet<>();
    for (Snapshot s : ours) {
      for (DataFile f : s.addedDataFiles(table.io())) {
        keep.add(nameOf(f.location()));
      }
    }
    String dataDir =
        table.properties()
            .getOrDefault(TableProperties.WRITE_DATA_LOCATION, table.location() + "/data");
    int deleted = 0;
    for (FileInfo f : io.listPrefix(dataDir)) {
      if (DataFileNames.isOf(f.location(), tag, epoch) && !keep.contains(nameOf(f.location()))) {
        io.deleteFile(f.location());
        deleted++;
      }
    }
    if (deleted > 0) {
      LOG.info("{}: deleted {} data files of killed attempts of epoch {}", table.name(), deleted, epoch);
      SWEPT.inc(deleted);
    }
    return deleted;
  }

  private static String nameOf(String location) {
    return location.substring(location.lastIndexOf('/') + 1);
  }
}
