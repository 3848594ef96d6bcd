package io.beamline.io.lakehouse;

/**
 * Apache Iceberg tables from Beam pipelines: {@link #write()} appends a schema'd {@code
 * PCollection} to tables with <b>one atomic commit per table per epoch</b>, exactly once across
 * crashes and replays on Beamline's MicroBatchRunner; {@link #read()} scans a table (bounded) or
 * follows its appends (unbounded, exactly-once through the offset log). Guide: {@code
 * docs/lakehouse.md}.
 *
 * <pre>{@code
 * rows.apply(IcebergIO.<Row>write()
 *     .withWarehouse("/data/warehouse")          // embedded catalog, no server
 *     .withTable("flights.hourly_stats")
 *     .withPartitionFields("day(window_start)"));
 *
 * PCollection<Row> appended = p.apply(IcebergIO.read()
 *     .withWarehouse("/data/warehouse")
 *     .withTable("flights.hourly_stats")
 *     .streaming());
 * }</pre>
 */
public final class IcebergIO {
  private IcebergIO() {}

  /** A sink for rows of type {@code T}, which must have a Beam schema. */
  public static <T> IcebergWrite<T> write() {
    return IcebergWrite.defaults();
  }

  /** A source of Beam {@code Row}s. */
  public static IcebergRead read() {
    return IcebergRead.defaults();
  }

  /**
   * Opens the embedded catalog of a warehouse directory, as {@code withWarehouse(dir)} uses it, for
   * looking at or maintaining its tables with Iceberg's API. The caller closes it ({@code
   * ((java.io.Closeable) catalog).close()}).
   */
  public static org.apache.iceberg.catalog.Catalog openWarehouse(String dir) {
    return io.beamline.io.lakehouse.internal.CatalogSpec.embedded(dir).openUncached();
  }
}
