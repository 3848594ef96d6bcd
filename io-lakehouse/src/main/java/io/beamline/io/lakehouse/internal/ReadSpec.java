package io.beamline.io.lakehouse.internal;

import java.io.Serializable;
import java.util.List;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableScan;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What a read needs, fixed at expansion: the table, the columns (the output schema is their Beam
 * schema), an optional filter, and for a bounded read an optional snapshot or time.
 *
 * @param columns the projected columns, in output order
 * @param beamSchema the output schema ({@link SchemaMapping#toBeam} of the projection)
 * @param filter rows to keep ({@code alwaysTrue} for all)
 * @param snapshotId bounded read of this snapshot, or null
 * @param asOfMillis bounded read of the snapshot current at this time, or null
 */
public record ReadSpec(
    CatalogSpec catalog,
    String table,
    List<String> columns,
    org.apache.beam.sdk.schemas.Schema beamSchema,
    Expression filter,
    @Nullable Long snapshotId,
    @Nullable Long asOfMillis)
    implements Serializable {

  public Table load() {
    return catalog.catalog().loadTable(TableIdentifier.parse(table));
  }

  /** The table's schema as of the read's snapshot, projected to the columns. */
  public static Schema projection(Schema schema, List<String> columns) {
    return schema.select(columns);
  }

  /** A scan of the read's snapshot (or the current one) with filter and projection. */
  public TableScan scan(Table t) {
    TableScan scan = t.newScan().select(columns);
    if (snapshotId != null) {
      scan = scan.useSnapshot(snapshotId);
    } else if (asOfMillis != null) {
      scan = scan.asOfTime(asOfMillis);
    }
    if (filter != null && filter != Expressions.alwaysTrue()) {
      scan = scan.filter(filter);
    }
    return scan;
  }
}
