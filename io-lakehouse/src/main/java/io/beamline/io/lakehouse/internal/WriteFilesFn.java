package io.beamline.io.lakehouse.internal;

import io.beamline.sdk.testing.CrashPoints;
import io.beamline.sdk.io.EpochInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The writer half of the sink: each bundle (on Beamline: a task's share of an epoch) writes its
 * rows into Parquet data files, one per table and partition, and at the end of the bundle emits
 * one {@link FileBatch} per table, keyed by table, for the committer. Nothing is visible in a
 * table until the committer commits the batch.
 *
 * <p>Crash point {@code lakehouseFilesWritten} (epoch runs): every file of the bundle is closed
 * and durable, nothing is committed.
 */
public final class WriteFilesFn<T> extends DoFn<T, KV<String, FileBatch>> {
  private final WriteSpec spec;
  private final SerializableFunction<T, Row> toRow;
  private final Counter rows = Metrics.counter(WriteFilesFn.class, "rowsWritten");
  private final Counter dataFiles = Metrics.counter(WriteFilesFn.class, "dataFilesWritten");

  private transient Map<String, TableFileWriter> writers;
  private transient @Nullable EpochInfo epoch;
  private transient String operationId;
  private transient Instant maxTimestamp;

  public WriteFilesFn(WriteSpec spec, SerializableFunction<T, Row> toRow) {
    this.spec = spec;
    this.toRow = toRow;
  }

  @StartBundle
  public void startBundle() {
    abortAll(); // leftovers of a bundle that failed in this instance
    writers = new LinkedHashMap<>();
    epoch = EpochInfo.current().orElse(null);
    operationId = null;
    maxTimestamp = BoundedWindow.TIMESTAMP_MIN_VALUE;
  }

  @ProcessElement
  public void processElement(@Element T element, @Timestamp Instant timestamp) {
    Row row = toRow.apply(element);
    String table = spec.destinationOf(row);
    TableFileWriter w = writers.get(table);
    if (w == null) {
      if (operationId == null) {
        operationId = DataFileNames.operationId(spec.fileTag(epoch == null ? null : epoch.runId()));
      }
      w =
          new TableFileWriter(
              Tables.prepared(spec, table),
              epoch == null ? 0 : epoch.shard(),
              epoch == null ? -1 : epoch.epoch(),
              operationId);
      writers.put(table, w);
    }
    w.write(row);
    if (timestamp.isAfter(maxTimestamp)) {
      maxTimestamp = timestamp;
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext context) {
    if (writers.isEmpty()) {
      return;
    }
    List<FileBatch> batches = new ArrayList<>();
    try {
      for (Map.Entry<String, TableFileWriter> e : writers.entrySet()) {
        TableFileWriter w = e.getValue();
        long n = w.records();
        batches.add(
            new FileBatch(
                e.getKey(),
                epoch == null ? null : epoch.runId(),
                epoch == null ? -1 : epoch.epoch(),
                epoch == null ? 0 : epoch.shard(),
                List.copyOf(w.close()),
                n));
      }
    } catch (RuntimeException e) {
      abortAll();
      throw e;
    }
    writers.clear();
    if (epoch != null) {
      CrashPoints.reached("lakehouseFilesWritten", epoch.epoch());
    }
    // The batches leave the rows' windows: files are not per window, and the committer runs in
    // the global window (see IcebergIO.Write#expand).
    Instant ts = maxTimestamp.isBefore(GlobalWindow.INSTANCE.maxTimestamp())
        ? maxTimestamp
        : GlobalWindow.INSTANCE.maxTimestamp();
    for (FileBatch b : batches) {
      rows.inc(b.records());
      dataFiles.inc(b.files().size());
      context.output(KV.of(b.table(), b), ts, GlobalWindow.INSTANCE);
    }
  }

  @Teardown
  public void teardown() {
    abortAll();
  }

  private void abortAll() {
    if (writers != null) {
      writers.values().forEach(TableFileWriter::abort);
      writers.clear();
    }
  }
}
