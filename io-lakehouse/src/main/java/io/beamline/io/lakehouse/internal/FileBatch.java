package io.beamline.io.lakehouse.internal;

import java.io.Serializable;
import java.util.List;
import org.apache.iceberg.DataFile;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Data files one writer task wrote for one table in one bundle, on their way to the table's
 * committer. {@link DataFile}s are Java-serializable (Spark ships them the same way), metrics
 * included, so the commit keeps column bounds for scan planning.
 *
 * @param table destination table
 * @param runId checkpointed run, null outside one
 * @param epoch epoch of the bundle, -1 outside a checkpointed run
 * @param shard task index of the writer
 * @param files the data files, closed and durable
 * @param records rows in the files
 */
public record FileBatch(
    String table, @Nullable String runId, long epoch, int shard, List<DataFile> files, long records)
    implements Serializable {}
