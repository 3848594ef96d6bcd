package io.beamline.io.lakehouse.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.RowCoder;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.Row;
import org.apache.iceberg.CombinedScanTask;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.TableScan;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.CloseableIterator;
import org.apache.iceberg.io.FileIO;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A bounded scan of one table snapshot as a Beam {@link BoundedSource}. The unsplit source plans
 * the scan when the runner splits it (Iceberg's {@code planTasks}: files split and combined into
 * tasks of about the desired bundle size, with the filter's partition and metrics pruning); each
 * split reads one {@link CombinedScanTask} with {@link TaskReader} (deletes and the residual
 * filter applied) and converts records to rows of the read's schema.
 */
public final class ScanSource extends BoundedSource<Row> {
  private static final long serialVersionUID = 1L;

  private final ReadSpec spec;
  private final @Nullable CombinedScanTask task;
  private final @Nullable Schema tableSchema;
  private final @Nullable FileIO io;

  public ScanSource(ReadSpec spec) {
    this(spec, null, null, null);
  }

  private ScanSource(
      ReadSpec spec, @Nullable CombinedScanTask task, @Nullable Schema tableSchema, @Nullable FileIO io) {
    this.spec = spec;
    this.task = task;
    this.tableSchema = tableSchema;
    this.io = io;
  }

  @Override
  public List<ScanSource> split(long desiredBundleSizeBytes, PipelineOptions options) {
    if (task != null) {
      return List.of(this);
    }
    Table table = spec.load();
    TableScan scan =
        spec.scan(table)
            .option(TableProperties.SPLIT_SIZE, Long.toString(Math.max(desiredBundleSizeBytes, 1L << 20)));
    if (scan.snapshot() == null) {
      return List.of(); // no snapshot: an empty table
    }
    List<ScanSource> splits = new ArrayList<>();
    try (CloseableIterable<CombinedScanTask> tasks = scan.planTasks()) {
      for (CombinedScanTask t : tasks) {
        splits.add(new ScanSource(spec, t, table.schema(), table.io()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return splits;
  }

  @Override
  public long getEstimatedSizeBytes(PipelineOptions options) {
    if (task != null) {
      return task.files().stream().mapToLong(FileScanTask::length).sum();
    }
    TableScan scan = spec.scan(spec.load());
    if (scan.snapshot() == null) {
      return 0;
    }
    long bytes = 0;
    try (CloseableIterable<FileScanTask> files = scan.planFiles()) {
      for (FileScanTask f : files) {
        bytes += f.length();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes;
  }

  @Override
  public BoundedReader<Row> createReader(PipelineOptions options) {
    if (task == null) {
      // a runner that reads without splitting: read every split in turn
      return new ConcatReader(this, split(64L << 20, options), options);
    }
    return new TaskRowReader(this);
  }

  @Override
  public Coder<Row> getOutputCoder() {
    return RowCoder.of(spec.beamSchema());
  }

  /** Reads the files of one combined task in order. */
  private static final class TaskRowReader extends BoundedReader<Row> {
    private final ScanSource source;
    private final Iterator<FileScanTask> files;
    private final Schema projection;
    private @Nullable CloseableIterable<Record> open;
    private @Nullable CloseableIterator<Record> records;
    private @Nullable Row current;

    TaskRowReader(ScanSource source) {
      this.source = source;
      this.files = source.task.files().iterator();
      this.projection = source.tableSchema.select(source.spec.columns());
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
          return true;
        }
        closeFile();
        if (!files.hasNext()) {
          current = null;
          return false;
        }
        open = TaskReader.open(source.io, source.tableSchema, projection, files.next());
        records = open.iterator();
      }
    }

    private void closeFile() throws IOException {
      if (open != null) {
        open.close();
        open = null;
        records = null;
      }
    }

    @Override
    public Row getCurrent() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public void close() throws IOException {
      closeFile();
    }

    @Override
    public ScanSource getCurrentSource() {
      return source;
    }
  }

  /** Reads the splits of an unsplit source one after the other. */
  private static final class ConcatReader extends BoundedReader<Row> {
    private final ScanSource source;
    private final Iterator<ScanSource> splits;
    private final PipelineOptions options;
    private @Nullable BoundedReader<Row> reader;

    ConcatReader(ScanSource source, List<ScanSource> splits, PipelineOptions options) {
      this.source = source;
      this.splits = splits.iterator();
      this.options = options;
    }

    @Override
    public boolean start() throws IOException {
      return next();
    }

    @Override
    public boolean advance() throws IOException {
      return reader.advance() || next();
    }

    private boolean next() throws IOException {
      while (splits.hasNext()) {
        if (reader != null) {
          reader.close();
        }
        reader = splits.next().createReader(options);
        if (reader.start()) {
          return true;
        }
      }
      return false;
    }

    @Override
    public Row getCurrent() {
      if (reader == null) {
        throw new NoSuchElementException();
      }
      return reader.getCurrent();
    }

    @Override
    public void close() throws IOException {
      if (reader != null) {
        reader.close();
      }
    }

    @Override
    public ScanSource getCurrentSource() {
      return source;
    }
  }
}
