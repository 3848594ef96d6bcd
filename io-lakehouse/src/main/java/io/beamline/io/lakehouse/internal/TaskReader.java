package io.beamline.io.lakehouse.internal;

import java.util.Map;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Schema;
import org.apache.iceberg.avro.Avro;
import org.apache.iceberg.data.DeleteFilter;
import org.apache.iceberg.data.GenericDeleteFilter;
import org.apache.iceberg.data.IdentityPartitionConverters;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.avro.PlannedDataReader;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.expressions.Evaluator;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.util.PartitionUtil;

/**
 * Reads the records of one {@link FileScanTask} with iceberg-data's generic readers: Parquet or
 * Avro data files, identity-partition constants, position and equality deletes, the task's
 * residual filter. The per-task form of iceberg-data's package-private {@code GenericReader}
 * (which {@code IcebergGenerics} reads whole scans with); records come in file order.
 */
public final class TaskReader {
  private TaskReader() {}

  /**
   * @param tableSchema the table's schema (deletes may need columns outside the projection)
   * @param projection the columns to return
   */
  public static CloseableIterable<Record> open(
      FileIO io, Schema tableSchema, Schema projection, FileScanTask task) {
    DeleteFilter<Record> deletes = new GenericDeleteFilter(io, task, tableSchema, projection);
    Schema readSchema = deletes.requiredSchema();
    CloseableIterable<Record> records = openFile(io, task, readSchema);
    records = deletes.filter(records);
    Expression residual = task.residual();
    if (residual != null && residual != Expressions.alwaysTrue()) {
      InternalRecordWrapper wrapper = new InternalRecordWrapper(readSchema.asStruct());
      Evaluator filter = new Evaluator(readSchema.asStruct(), residual, true);
      records = CloseableIterable.filter(records, r -> filter.eval(wrapper.wrap(r)));
    }
    return records;
  }

  private static CloseableIterable<Record> openFile(FileIO io, FileScanTask task, Schema schema) {
    InputFile input = io.newInputFile(task.file().location());
    Map<Integer, ?> constants =
        PartitionUtil.constantsMap(task, IdentityPartitionConverters::convertConstant);
    switch (task.file().format()) {
      case PARQUET:
        return Parquet.read(input)
            .project(schema)
            .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(schema, fileSchema, constants))
            .split(task.start(), task.length())
            .filter(task.residual())
            .build();
      case AVRO:
        return Avro.read(input)
            .project(schema)
            .createResolvingReader(s -> PlannedDataReader.create(s, constants))
            .split(task.start(), task.length())
            .build();
      default:
        throw new UnsupportedOperationException(
            "Cannot read " + task.file().format() + " data file " + task.file().location()
                + ": Parquet and Avro only");
    }
  }
}
