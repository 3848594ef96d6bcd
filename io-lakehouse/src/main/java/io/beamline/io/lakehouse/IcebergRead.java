package io.beamline.io.lakehouse;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import io.beamline.io.lakehouse.internal.AppendsSource;
import io.beamline.io.lakehouse.internal.CatalogSpec;
import io.beamline.io.lakehouse.internal.ReadSpec;
import io.beamline.io.lakehouse.internal.ScanSource;
import io.beamline.io.lakehouse.internal.SchemaMapping;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * {@link IcebergIO#read()}: the rows of an Iceberg table as a {@code PCollection<Row>} whose
 * schema is the table's (or the selected columns'), types per {@code SchemaMapping}. Immutable:
 * every {@code withX} returns a new transform. The table's metadata is read at expansion to fix
 * the output schema; a missing table fails there.
 *
 * <p><b>Bounded</b> (default): one snapshot — the current one, {@link #withSnapshot} or {@link
 * #withAsOf} — scanned as a Beam {@code BoundedSource} split into Iceberg scan tasks, with {@link
 * #withFilter} pruning partitions and files and filtering rows, and {@link #withColumns} reading
 * only those columns. Position and equality deletes written by other engines are applied.
 *
 * <p><b>Streaming</b> ({@link #streaming()}): a Beam {@code UnboundedSource} that reads every row
 * of the current snapshot, then the rows of each snapshot appended later, in commit order, looking
 * for new snapshots every {@link #withPollInterval poll interval}. Its checkpoint mark is the
 * position (snapshot id, file, record), which MicroBatchRunner keeps in its offset log: a replayed
 * epoch reads the same rows and a restart resumes where the last committed epoch ended, so
 * Iceberg → pipeline → Iceberg is exactly-once. Only appends are followed: a compaction's {@code
 * replace} adds no new rows and is passed over; rows removed by a {@code delete} or {@code
 * overwrite} are not retracted (a warning is logged). A row's event time is its snapshot's commit
 * time. Snapshots must outlive the reader's lag (expiry of the snapshot being read fails the read).
 */
public final class IcebergRead extends PTransform<PBegin, PCollection<Row>> {
  /** Default {@link #withPollInterval}: 1 second. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.standardSeconds(1);

  private final @Nullable CatalogSpec catalog;
  private final @Nullable String table;
  private final @Nullable List<String> columns;
  private final Expression filter;
  private final @Nullable Long snapshotId;
  private final @Nullable Instant asOf;
  private final boolean streaming;
  private final AppendsSource.Start start;
  private final Duration pollInterval;

  private IcebergRead(
      @Nullable CatalogSpec catalog, @Nullable String table, @Nullable List<String> columns,
      Expression filter, @Nullable Long snapshotId, @Nullable Instant asOf, boolean streaming,
      AppendsSource.Start start, Duration pollInterval) {
    this.catalog = catalog;
    this.table = table;
    this.columns = columns == null ? null : List.copyOf(columns);
    this.filter = filter;
    this.snapshotId = snapshotId;
    this.asOf = asOf;
    this.streaming = streaming;
    this.start = start;
    this.pollInterval = pollInterval;
  }

  static IcebergRead defaults() {
    return new IcebergRead(null, null, null, Expressions.alwaysTrue(), null, null, false,
        AppendsSource.Start.CURRENT_SNAPSHOT, DEFAULT_POLL_INTERVAL);
  }

  /** The embedded catalog of a warehouse directory (see {@link IcebergWrite#withWarehouse}). */
  public IcebergRead withWarehouse(String dir) {
    return new IcebergRead(CatalogSpec.embedded(dir), table, columns, filter, snapshotId, asOf,
        streaming, start, pollInterval);
  }

  /** Any Iceberg catalog by properties (see {@link IcebergWrite#withCatalog}). */
  public IcebergRead withCatalog(String name, Map<String, String> properties) {
    return new IcebergRead(CatalogSpec.of(name, properties), table, columns, filter, snapshotId,
        asOf, streaming, start, pollInterval);
  }

  /** The table, {@code namespace.name}. Required. */
  public IcebergRead withTable(String name) {
    return new IcebergRead(catalog, name, columns, filter, snapshotId, asOf, streaming, start,
        pollInterval);
  }

  /** Only these columns, in this order (default: all columns of the table's schema). */
  public IcebergRead withColumns(String... names) {
    return new IcebergRead(catalog, table, List.of(names), filter, snapshotId, asOf, streaming,
        start, pollInterval);
  }

  /**
   * Only rows matching an Iceberg expression, e.g. {@code Expressions.equal("origin", "JFK")};
   * used to prune partitions and files, then applied to rows. Default: every row.
   */
  public IcebergRead withFilter(Expression expression) {
    return new IcebergRead(catalog, table, columns, expression, snapshotId, asOf, streaming, start,
        pollInterval);
  }

  /** Bounded read of this snapshot (time travel). Default: the current snapshot. */
  public IcebergRead withSnapshot(long id) {
    return new IcebergRead(catalog, table, columns, filter, id, null, streaming, start,
        pollInterval);
  }

  /** Bounded read of the snapshot that was current at {@code time}. */
  public IcebergRead withAsOf(Instant time) {
    return new IcebergRead(catalog, table, columns, filter, null, time, streaming, start,
        pollInterval);
  }

  /** Follow the table's appends as an unbounded source (see the class comment). */
  public IcebergRead streaming() {
    return new IcebergRead(catalog, table, columns, filter, snapshotId, asOf, true, start,
        pollInterval);
  }

  /**
   * Streaming: skip the rows already in the table when the run first starts, read only later
   * appends. Default: the current snapshot's rows first.
   */
  public IcebergRead withStartAfterCurrentSnapshot() {
    return new IcebergRead(catalog, table, columns, filter, snapshotId, asOf, streaming,
        AppendsSource.Start.AFTER_CURRENT_SNAPSHOT, pollInterval);
  }

  /** Streaming: how often a reader that has read everything looks for new snapshots. */
  public IcebergRead withPollInterval(Duration interval) {
    return new IcebergRead(catalog, table, columns, filter, snapshotId, asOf, streaming, start,
        interval);
  }

  /**
   * @throws IllegalArgumentException if no catalog or table is set, the table does not exist, a
   *     column is unknown, a type has no Beam equivalent, or snapshot options are combined with
   *     streaming
   */
  @Override
  public PCollection<Row> expand(PBegin input) {
    CatalogSpec c = checkArgumentNotNull(
        catalog, "IcebergIO.read(): set withWarehouse(dir) or withCatalog(name, properties)");
    String name = checkArgumentNotNull(table, "IcebergIO.read(): set withTable(\"namespace.name\")");
    if (streaming && (snapshotId != null || asOf != null)) {
      throw new IllegalArgumentException(
          "IcebergIO.read(): withSnapshot/withAsOf are for bounded reads, not streaming()");
    }
    if (!c.mayHaveTables() || !c.catalog().tableExists(TableIdentifier.parse(name))) {
      throw new IllegalArgumentException("IcebergIO.read(): no table " + name + " in " + c);
    }
    Table t = c.catalog().loadTable(TableIdentifier.parse(name));
    Schema schema = t.schema();
    if (snapshotId != null || asOf != null) {
      long id = snapshotId != null
          ? snapshotId
          : org.apache.iceberg.util.SnapshotUtil.snapshotIdAsOfTime(t, asOf.getMillis());
      Snapshot s = t.snapshot(id);
      if (s == null) {
        throw new IllegalArgumentException("IcebergIO.read(): " + name + " has no snapshot " + id);
      }
      if (s.schemaId() != null && t.schemas().containsKey(s.schemaId())) {
        schema = t.schemas().get(s.schemaId());
      }
    }
    List<String> cols = columns;
    if (cols == null) {
      cols = schema.columns().stream().map(f -> f.name()).toList();
    }
    for (String col : cols) {
      if (schema.findField(col) == null) {
        throw new IllegalArgumentException(
            "IcebergIO.read(): " + name + " has no column '" + col + "'; columns: "
                + schema.columns().stream().map(f -> f.name()).toList());
      }
    }
    org.apache.beam.sdk.schemas.Schema beamSchema = SchemaMapping.toBeam(schema.select(cols));
    ReadSpec spec = new ReadSpec(c, name, cols, beamSchema, filter, snapshotId,
        asOf == null ? null : asOf.getMillis());
    PCollection<Row> rows = streaming
        ? input.apply("ReadAppends", Read.from(new AppendsSource(spec, start, pollInterval.getMillis())))
        : input.apply("ScanTable", Read.from(new ScanSource(spec)));
    return rows.setRowSchema(beamSchema);
  }
}
