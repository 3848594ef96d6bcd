package io.beamline.io.lakehouse.testing;

import io.beamline.io.lakehouse.internal.RowConversion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.UUID;
import org.apache.beam.sdk.values.Row;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericAppenderFactory;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;

/**
 * Appends rows to a table with Iceberg's own writer API (no pipeline), one data file per row group
 * and one snapshot per call: fixtures for the read tests, and a "foreign" writer for the
 * incremental-read tests.
 */
public final class Appender {
  private Appender() {}

  /** Appends {@code rows} as one snapshot; rows of one call must share a partition. */
  public static long append(Table table, List<Row> rows) {
    table.refresh();
    GenericAppenderFactory appenders = new GenericAppenderFactory(table.schema(), table.spec());
    OutputFileFactory files = OutputFileFactory.builderFor(table, 0, 0)
        .format(FileFormat.PARQUET).operationId("fixture-" + UUID.randomUUID()).build();
    PartitionKey key = new PartitionKey(table.spec(), table.schema());
    InternalRecordWrapper wrapper = new InternalRecordWrapper(table.schema().asStruct());
    Record first = RowConversion.toRecord(rows.get(0), table.schema());
    key.partition(wrapper.wrap(first));
    DataWriter<Record> writer = appenders.newDataWriter(
        table.spec().isUnpartitioned() ? files.newOutputFile() : files.newOutputFile(table.spec(), key),
        FileFormat.PARQUET, table.spec().isUnpartitioned() ? null : key);
    try (writer) {
      for (Row r : rows) {
        writer.write(RowConversion.toRecord(r, table.schema()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    AppendFiles append = table.newAppend();
    append.appendFile(writer.toDataFile());
    append.commit();
    return table.currentSnapshot().snapshotId();
  }
}
