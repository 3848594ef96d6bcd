package io.beamline.io.lakehouse;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import io.beamline.io.lakehouse.internal.CatalogSpec;
import io.beamline.io.lakehouse.internal.CommitFilesFn;
import io.beamline.io.lakehouse.internal.CommitGroupedFn;
import io.beamline.io.lakehouse.internal.FileBatch;
import io.beamline.io.lakehouse.internal.SchemaMapping;
import io.beamline.io.lakehouse.internal.Tables;
import io.beamline.io.lakehouse.internal.UpkeepSpec;
import io.beamline.io.lakehouse.internal.WriteFilesFn;
import io.beamline.io.lakehouse.internal.WriteSpec;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.ApplicationNameOptions;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * {@link IcebergIO#write()}: appends a schema'd {@code PCollection<T>} ({@link Row}s, or any type
 * with a Beam schema) to Iceberg tables. Immutable: every {@code withX} returns a new transform.
 *
 * <p><b>Shape.</b> Rows → global window → a writer ParDo (each bundle writes Parquet data files,
 * one per table and partition, and emits their descriptions keyed by table) → a committer keyed
 * by table that commits all of a table's files of the epoch as one {@code AppendFiles}. Bounded
 * input is grouped by table first and committed once per table at the end, on any runner.
 *
 * <p><b>Guarantees.</b> On MicroBatchRunner with a checkpoint directory: one atomic commit per
 * table per epoch that wrote rows to it (epochs without rows for a table commit nothing), carrying
 * {@code beamline.app}, {@code beamline.run-id}, {@code beamline.sink} and {@code beamline.epoch}
 * in the snapshot summary; the table's commit happens before the runner writes {@code commits/N};
 * a replayed epoch whose snapshot is already in the table is not committed again, and the data
 * files of killed attempts are deleted when their epoch is replayed. Rows appear exactly once.
 * Elsewhere (another runner, no checkpoint) each bundle, or the bounded input, is committed
 * atomically and a retried bundle may be committed again (at-least-once).
 *
 * <p><b>Tables.</b> A missing table is created from the Beam schema (types: {@link
 * SchemaMapping}), with {@link #withPartitionFields} and {@link #withTableProperties}. An existing
 * table gains the pipeline's new nullable fields as optional columns; a change Iceberg cannot make
 * (another type, a new required field, a nullable field into a required column, a required column
 * the rows lack) fails at expansion — before anything is written — with an {@code
 * IllegalArgumentException} naming the field.
 */
public final class IcebergWrite<T> extends PTransform<PCollection<T>, PDone> {
  /** Default {@link #withSnapshotExpiry}: older than a day, beyond the newest 100. */
  public static final Duration DEFAULT_SNAPSHOT_MAX_AGE = Duration.standardDays(1);

  public static final int DEFAULT_RETAIN_LAST = 100;

  /** Default {@link #withCompaction}: rewrite 20 or more small files of a partition. */
  public static final int DEFAULT_COMPACT_MIN_FILES = 20;

  public static final long DEFAULT_TARGET_FILE_BYTES = 128L << 20;

  /** Default {@link #withUpkeepInterval}: 10 minutes. */
  public static final Duration DEFAULT_UPKEEP_INTERVAL = Duration.standardMinutes(10);

  private final @Nullable CatalogSpec catalog;
  private final @Nullable String table;
  private final @Nullable SerializableFunction<Row, String> tableFn;
  private final List<String> partitionFields;
  private final Map<String, String> tableProperties;
  private final @Nullable String sinkId;
  private final UpkeepSpec upkeep;

  private IcebergWrite(
      @Nullable CatalogSpec catalog,
      @Nullable String table,
      @Nullable SerializableFunction<Row, String> tableFn,
      List<String> partitionFields,
      Map<String, String> tableProperties,
      @Nullable String sinkId,
      UpkeepSpec upkeep) {
    this.catalog = catalog;
    this.table = table;
    this.tableFn = tableFn;
    this.partitionFields = List.copyOf(partitionFields);
    this.tableProperties = Map.copyOf(tableProperties);
    this.sinkId = sinkId;
    this.upkeep = upkeep;
  }

  static <T> IcebergWrite<T> defaults() {
    return new IcebergWrite<>(
        null,
        null,
        null,
        List.of(),
        Map.of(),
        null,
        new UpkeepSpec(
            DEFAULT_SNAPSHOT_MAX_AGE.getMillis(),
            DEFAULT_RETAIN_LAST,
            DEFAULT_COMPACT_MIN_FILES,
            DEFAULT_TARGET_FILE_BYTES,
            DEFAULT_UPKEEP_INTERVAL.getMillis()));
  }

  private IcebergWrite<T> with(
      @Nullable CatalogSpec catalog,
      @Nullable String table,
      @Nullable SerializableFunction<Row, String> tableFn,
      List<String> partitionFields,
      Map<String, String> tableProperties,
      @Nullable String sinkId,
      UpkeepSpec upkeep) {
    return new IcebergWrite<>(
        catalog, table, tableFn, partitionFields, tableProperties, sinkId, upkeep);
  }

  /**
   * The embedded catalog (no server): Iceberg's {@code JdbcCatalog} on the SQLite file {@code
   * <dir>/catalog.db}, tables under {@code <dir>/<namespace>/<table>}, local files with no Hadoop
   * file system. Required unless {@link #withCatalog} is given.
   */
  public IcebergWrite<T> withWarehouse(String dir) {
    return with(CatalogSpec.embedded(dir), table, tableFn, partitionFields, tableProperties, sinkId, upkeep);
  }

  /**
   * Any Iceberg catalog, loaded by {@code CatalogUtil.buildIcebergCatalog(name, properties)}:
   * e.g. {@code type=rest, uri=…}, {@code type=hive, uri=thrift://…}, {@code
   * catalog-impl=org.apache.iceberg.jdbc.JdbcCatalog, uri=jdbc:postgresql://…}, plus {@code
   * warehouse} and {@code io-impl}. The FileIO's jars must be on the class path.
   */
  public IcebergWrite<T> withCatalog(String name, Map<String, String> properties) {
    return with(CatalogSpec.of(name, properties), table, tableFn, partitionFields, tableProperties, sinkId, upkeep);
  }

  /** The destination table, {@code namespace.name}. One of this or {@link #withTableFunction}. */
  public IcebergWrite<T> withTable(String name) {
    return with(catalog, name, null, partitionFields, tableProperties, sinkId, upkeep);
  }

  /**
   * A destination per row (as Beam's {@code DynamicDestinations}): {@code fn} maps each row (in
   * the input's schema) to {@code namespace.name}. All tables get the same schema and partition
   * fields; each table is committed once per epoch. Tables are checked against the schema when a
   * row first reaches them, not at expansion.
   */
  public IcebergWrite<T> withTableFunction(SerializableFunction<Row, String> fn) {
    return with(catalog, null, fn, partitionFields, tableProperties, sinkId, upkeep);
  }

  /**
   * Partition fields of tables this sink creates, as Iceberg transforms: {@code identity(col)} (or
   * {@code col}), {@code year(ts)}, {@code month(ts)}, {@code day(ts)}, {@code hour(ts)}, {@code
   * bucket(n, col)}, {@code truncate(w, col)}. Default: unpartitioned. Existing tables keep their
   * spec.
   */
  public IcebergWrite<T> withPartitionFields(String... fields) {
    return with(catalog, table, tableFn, List.of(fields), tableProperties, sinkId, upkeep);
  }

  /**
   * Properties of tables this sink creates, on top of the defaults: {@code format-version=2},
   * {@code write.metadata.delete-after-commit.enabled=true}, {@code
   * write.metadata.previous-versions-max=100} (a commit per epoch writes a metadata file per
   * epoch). Parquet writer settings such as {@code write.parquet.compression-codec} (Iceberg's
   * default: zstd) are table properties too.
   */
  public IcebergWrite<T> withTableProperties(Map<String, String> properties) {
    return with(catalog, table, tableFn, partitionFields, properties, sinkId, upkeep);
  }

  /**
   * The sink's identity in snapshot summaries ({@code beamline.sink}), which together with the
   * run id marks its commits. Default: the name of the input {@code PCollection}, which is stable
   * as long as the pipeline is (a changed pipeline is refused on restart anyway). Set it when two
   * sinks of one pipeline could otherwise look alike, or for readable summaries.
   */
  public IcebergWrite<T> withSinkId(String id) {
    return with(catalog, table, tableFn, partitionFields, tableProperties, id, upkeep);
  }

  /**
   * Expire snapshots older than {@code maxAge}, keeping at least the newest {@code retainLast}.
   * Default: 1 day and 100. Keep {@code maxAge} longer than the job can be down: the replay check
   * of an interrupted epoch needs the sink's last snapshot (other writers' commits could push it
   * out of the newest {@code retainLast}).
   */
  public IcebergWrite<T> withSnapshotExpiry(Duration maxAge, int retainLast) {
    if (retainLast < 1) {
      throw new IllegalArgumentException("retainLast must be at least 1, was " + retainLast);
    }
    return with(catalog, table, tableFn, partitionFields, tableProperties, sinkId,
        upkeep.withExpiry(maxAge.getMillis(), retainLast));
  }

  /**
   * Compact: once a partition has {@code minFiles} files smaller than 3/4 of {@code
   * targetFileBytes}, rewrite them into files of about that size (one {@code replace} snapshot).
   * Default: 20 files, 128 MiB.
   */
  public IcebergWrite<T> withCompaction(int minFiles, long targetFileBytes) {
    if (minFiles < 2) {
      throw new IllegalArgumentException("minFiles must be at least 2, was " + minFiles);
    }
    return with(catalog, table, tableFn, partitionFields, tableProperties, sinkId,
        upkeep.withCompaction(minFiles, targetFileBytes));
  }

  /**
   * How often upkeep (compaction, then expiry) may run per table, after a commit, in the
   * committer's task. Default: 10 minutes; the first run comes one interval after the sink's first
   * commit to the table in the JVM, so upkeep never delays a start or a short batch job.
   */
  public IcebergWrite<T> withUpkeepInterval(Duration interval) {
    return with(catalog, table, tableFn, partitionFields, tableProperties, sinkId,
        upkeep.withInterval(interval.getMillis()));
  }

  /** No snapshot expiry by the sink (run it as a job: {@code IcebergTableTool expire}). */
  public IcebergWrite<T> withoutSnapshotExpiry() {
    return with(catalog, table, tableFn, partitionFields, tableProperties, sinkId,
        upkeep.withExpiry(0, upkeep.retainLast()));
  }

  /** No compaction by the sink (run it as a job: {@code IcebergTableTool compact}). */
  public IcebergWrite<T> withoutCompaction() {
    return with(catalog, table, tableFn, partitionFields, tableProperties, sinkId,
        upkeep.withCompaction(0, upkeep.targetFileBytes()));
  }

  /** No snapshot expiry and no compaction by the sink (run them as a job: IcebergTableTool). */
  public IcebergWrite<T> withoutUpkeep() {
    return with(catalog, table, tableFn, partitionFields, tableProperties, sinkId,
        upkeep.withExpiry(0, upkeep.retainLast()).withCompaction(0, upkeep.targetFileBytes()));
  }

  /**
   * @throws IllegalArgumentException if no catalog or no destination is set, the input has no
   *     schema, a field has no Iceberg type, a partition field is malformed, or the rows cannot
   *     be written into the existing table (the message names the field)
   */
  @Override
  public PDone expand(PCollection<T> input) {
    CatalogSpec c =
        checkArgumentNotNull(
            catalog, "IcebergIO.write(): set withWarehouse(dir) or withCatalog(name, properties)");
    if (table == null && tableFn == null) {
      throw new IllegalArgumentException(
          "IcebergIO.write(): set withTable(\"namespace.name\") or withTableFunction(fn)");
    }
    if (!input.hasSchema()) {
      throw new IllegalArgumentException(
          "IcebergIO.write() needs a PCollection with a Beam schema (Rows with setRowSchema, or a"
              + " type with @DefaultSchema); " + input.getName() + " has coder " + input.getCoder());
    }
    Schema schema = input.getSchema();
    SchemaMapping.toIceberg(schema); // every field must have an Iceberg type
    String app = input.getPipeline().getOptions().as(ApplicationNameOptions.class).getAppName();
    WriteSpec spec =
        new WriteSpec(
            c,
            table,
            tableFn,
            schema,
            partitionFields,
            tableProperties,
            sinkId != null ? sinkId : input.getName(),
            app == null ? "beam" : app,
            upkeep);
    if (table != null) {
      Tables.check(spec, table);
    } else {
      io.beamline.io.lakehouse.internal.PartitionFields.toSpec(
          partitionFields, SchemaMapping.toIceberg(schema));
    }
    PCollection<KV<String, FileBatch>> batches =
        input
            .apply(
                "GlobalWindow",
                Window.<T>into(new GlobalWindows())
                    .triggering(DefaultTrigger.of())
                    .withAllowedLateness(Duration.ZERO)
                    .discardingFiredPanes())
            .apply("WriteDataFiles", ParDo.of(new WriteFilesFn<>(spec, input.getToRowFunction())))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), io.beamline.io.lakehouse.internal.FileBatchCoder.of()));
    if (input.isBounded() == PCollection.IsBounded.BOUNDED) {
      batches
          .apply("GroupByTable", GroupByKey.create())
          .apply("CommitTables", ParDo.of(new CommitGroupedFn(spec)));
    } else {
      batches.apply("CommitTables", ParDo.of(new CommitFilesFn(spec)));
    }
    return PDone.in(input.getPipeline());
  }
}
