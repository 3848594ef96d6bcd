package io.beamline.io.lakehouse.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.Row;
import org.apache.iceberg.DataOperations;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.CloseableIterator;
import org.apache.iceberg.expressions.Expressions;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one split of an {@link AppendsSource} from an {@link AppendsMark}. Looks at the table
 * (refresh) at most once per poll interval when it has read everything it knew of. Confined to
 * the thread that reads it.
 */
final class AppendsReader extends UnboundedSource.UnboundedReader<Row> {
  private static final Logger LOG = LoggerFactory.getLogger(AppendsReader.class);
  /** How far the idle watermark stays behind the last look at the table. */
  private static final long IDLE_WATERMARK_LAG_MILLIS = 10_000;

  private final AppendsSource source;
  private final Schema projection;
  private Table table;

  private long snapshot;
  private boolean initialScan;
  private int file;
  private long record;

  private @Nullable List<FileScanTask> unitFiles;
  private long unitMillis;
  private @Nullable CloseableIterable<Record> open;
  private @Nullable CloseableIterator<Record> records;
  private @Nullable Row current;
  private long currentMillis;
  private long watermarkMillis = BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis();
  private long lastLookMillis = -1;
  private boolean caughtUp;

  AppendsReader(AppendsSource source, AppendsMark mark) {
    this.source = source;
    this.table = source.spec.load();
    this.projection = table.schema().select(source.spec.columns());
    this.snapshot = mark.snapshot();
    this.initialScan = mark.initialScan();
    this.file = mark.file();
    this.record = mark.record();
    this.lastLookMillis = System.currentTimeMillis();
  }

  @Override
  public boolean start() throws IOException {
    return advance();
  }

  @Override
  public boolean advance() throws IOException {
    while (true) {
      if (records != null && records.hasNext()) {
        current = RowConversion.toRow(records.next(), source.spec.beamSchema());
        currentMillis = unitMillis;
        record++;
        watermarkMillis = Math.max(watermarkMillis, unitMillis);
        caughtUp = false;
        return true;
      }
      if (records != null) {
        closeFile();
        file += source.splits;
        record = 0;
      }
      if (snapshot >= 0 && unitFiles == null && file != Integer.MAX_VALUE) {
        loadUnit();
      }
      if (unitFiles != null && file < unitFiles.size()) {
        openFile();
        continue;
      }
      Snapshot next = nextSnapshot();
      if (next == null) {
        current = null;
        caughtUp = true;
        watermarkMillis = Math.max(watermarkMillis, lastLookMillis - IDLE_WATERMARK_LAG_MILLIS);
        return false;
      }
      snapshot = next.snapshotId();
      initialScan = false;
      file = source.split;
      record = 0;
      unitFiles = null;
    }
  }

  /** The files of the current unit, sorted by location; empty for a snapshot that is not an append. */
  private void loadUnit() {
    Snapshot s = table.snapshot(snapshot);
    if (s == null) {
      throw new IllegalStateException(
          "The incremental read of " + source.spec.table() + " is at snapshot " + snapshot
              + ", which the table no longer has (expired?): keep snapshots longer than the reader"
              + " can fall behind");
    }
    unitMillis = s.timestampMillis();
    List<FileScanTask> files = new ArrayList<>();
    if (initialScan || DataOperations.APPEND.equals(s.operation())) {
      try (CloseableIterable<FileScanTask> tasks =
          initialScan
              ? source.spec.scan(table).useSnapshot(snapshot).planFiles()
              : appendScan(s)) {
        tasks.forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else if (!DataOperations.REPLACE.equals(s.operation())) {
      LOG.warn("{}: snapshot {} is an {}; the incremental read follows appends only and skips it",
          source.spec.table(), snapshot, s.operation());
    }
    files.sort(Comparator.comparing(t -> t.file().location()));
    unitFiles = files;
  }

  private CloseableIterable<FileScanTask> appendScan(Snapshot s) {
    var scan = table.newIncrementalAppendScan().select(source.spec.columns());
    scan = s.parentId() == null
        ? scan.fromSnapshotInclusive(s.snapshotId())
        : scan.fromSnapshotExclusive(s.parentId());
    scan = scan.toSnapshot(s.snapshotId());
    if (source.spec.filter() != null && source.spec.filter() != Expressions.alwaysTrue()) {
      scan = scan.filter(source.spec.filter());
    }
    return scan.planFiles();
  }

  private void openFile() {
    open = TaskReader.open(table.io(), table.schema(), projection, unitFiles.get(file));
    records = open.iterator();
    for (long skipped = 0; skipped < record && records.hasNext(); skipped++) {
      records.next(); // read before the mark was taken
    }
  }

  private void closeFile() throws IOException {
    if (open != null) {
      open.close();
    }
    open = null;
    records = null;
  }

  /**
   * The snapshot after the current unit in the table's history, looking at the table again if the
   * poll interval has passed; null if there is none yet.
   */
  private @Nullable Snapshot nextSnapshot() {
    Snapshot next = childOf(snapshot);
    if (next == null && System.currentTimeMillis() - lastLookMillis >= source.pollMillis) {
      lastLookMillis = System.currentTimeMillis();
      table.refresh();
      next = childOf(snapshot);
    }
    return next;
  }

  /** The snapshot whose parent is {@code id} on the current branch (the oldest one for -1). */
  private @Nullable Snapshot childOf(long id) {
    Snapshot s = table.currentSnapshot();
    Snapshot child = null;
    while (s != null) {
      if (s.snapshotId() == id) {
        return child;
      }
      child = s;
      Long parent = s.parentId();
      if (parent != null && parent == id) {
        return s;
      }
      s = parent == null ? null : table.snapshot(parent);
    }
    if (id < 0) {
      return child; // the oldest retained snapshot
    }
    if (child != null) {
      throw new IllegalStateException(
          "The incremental read of " + source.spec.table() + " is at snapshot " + id
              + ", which is not in the table's current history (rolled back or expired)");
    }
    return null;
  }

  @Override
  public Row getCurrent() {
    if (current == null) {
      throw new NoSuchElementException();
    }
    return current;
  }

  @Override
  public Instant getCurrentTimestamp() {
    if (current == null) {
      throw new NoSuchElementException();
    }
    return new Instant(currentMillis);
  }

  @Override
  public Instant getWatermark() {
    return new Instant(watermarkMillis);
  }

  @Override
  public AppendsMark getCheckpointMark() {
    return new AppendsMark(snapshot, initialScan, file, record);
  }

  @Override
  public long getSplitBacklogBytes() {
    if (caughtUp) {
      return 0;
    }
    return UnboundedSource.UnboundedReader.BACKLOG_UNKNOWN;
  }

  @Override
  public AppendsSource getCurrentSource() {
    return source;
  }

  @Override
  public void close() throws IOException {
    closeFile();
  }
}
