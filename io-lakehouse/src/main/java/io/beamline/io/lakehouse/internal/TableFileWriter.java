package io.beamline.io.lakehouse.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.Row;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericAppenderFactory;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;

/**
 * Writes the rows one task sends to one table in one bundle: a Parquet data file per partition,
 * named {@code <shard>-<epoch>-bl<tag>x<attempt>-<n>.parquet} ({@link DataFileNames}), under the
 * table's data location. {@link #close} returns the finished files; {@link #abort} deletes them.
 * Confined to the task's thread.
 */
final class TableFileWriter {
  private final Table table;
  private final Schema schema;
  private final PartitionSpec spec;
  private final GenericAppenderFactory appenders;
  private final OutputFileFactory files;
  private final PartitionKey key;
  private final InternalRecordWrapper wrapper;
  private final Map<StructLike, DataWriter<Record>> writers = new HashMap<>();
  private final List<DataWriter<Record>> order = new ArrayList<>();
  private long records;

  /**
   * @param shard task index (file name prefix)
   * @param epoch epoch, or -1 outside a checkpointed run
   * @param operationId {@link DataFileNames#operationId}
   */
  TableFileWriter(Table table, int shard, long epoch, String operationId) {
    this.table = table;
    this.schema = table.schema();
    this.spec = table.spec();
    this.appenders = new GenericAppenderFactory(schema, spec);
    appenders.setAll(table.properties());
    this.files =
        OutputFileFactory.builderFor(table, shard, Math.max(epoch, 0))
            .format(FileFormat.PARQUET)
            .operationId(operationId)
            .build();
    this.key = new PartitionKey(spec, schema);
    this.wrapper = new InternalRecordWrapper(schema.asStruct());
  }

  Table table() {
    return table;
  }

  void write(Row row) {
    Record record = RowConversion.toRecord(row, schema);
    DataWriter<Record> writer;
    if (spec.isUnpartitioned()) {
      writer = writers.get(null);
      if (writer == null) {
        writer = open(null);
        writers.put(null, writer);
      }
    } else {
      key.partition(wrapper.wrap(record));
      writer = writers.get(key);
      if (writer == null) {
        PartitionKey copy = key.copy();
        writer = open(copy);
        writers.put(copy, writer);
      }
    }
    writer.write(record);
    records++;
  }

  private DataWriter<Record> open(StructLike partition) {
    DataWriter<Record> w =
        appenders.newDataWriter(
            partition == null ? files.newOutputFile() : files.newOutputFile(spec, partition),
            FileFormat.PARQUET,
            partition);
    order.add(w);
    return w;
  }

  long records() {
    return records;
  }

  /** Closes every file (Parquet footer written, forced to disk by the FileIO) and lists them. */
  List<DataFile> close() {
    List<DataFile> done = new ArrayList<>();
    try {
      for (DataWriter<Record> w : order) {
        w.close();
        done.add(w.toDataFile());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot close a data file of " + table.name(), e);
    }
    order.clear();
    writers.clear();
    return done;
  }

  /** Closes and deletes whatever was written (the bundle failed). */
  void abort() {
    for (DataWriter<Record> w : order) {
      try {
        w.close();
        table.io().deleteFile(w.toDataFile().location());
      } catch (Exception e) {
        // best effort: a killed attempt's leftovers are swept on replay
      }
    }
    order.clear();
    writers.clear();
  }
}
