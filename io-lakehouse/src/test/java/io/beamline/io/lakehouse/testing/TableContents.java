package io.beamline.io.lakehouse.testing;

import io.beamline.io.lakehouse.internal.CatalogSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;

/** Reads tables of a warehouse back with Iceberg's own generic reader, for assertions. */
public final class TableContents {
  private final CatalogSpec catalog;

  public TableContents(String warehouse) {
    this.catalog = CatalogSpec.embedded(warehouse);
  }

  public Table table(String name) {
    Table t = catalog.catalog().loadTable(TableIdentifier.parse(name));
    t.refresh();
    return t;
  }

  public boolean exists(String name) {
    return catalog.mayHaveTables() && catalog.catalog().tableExists(TableIdentifier.parse(name));
  }

  /** Every record of the table's current snapshot, read with {@code IcebergGenerics}. */
  public List<Record> records(String name) {
    List<Record> out = new ArrayList<>();
    try (CloseableIterable<Record> rows = IcebergGenerics.read(table(name)).build()) {
      rows.forEach(r -> out.add(r.copy()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Snapshots oldest first. */
  public List<Snapshot> snapshots(String name) {
    List<Snapshot> out = new ArrayList<>();
    table(name).snapshots().forEach(out::add);
    return out;
  }

  /** Summaries of the snapshots that carry a {@code beamline.epoch}, oldest first. */
  public List<Map<String, String>> epochCommits(String name) {
    List<Map<String, String>> out = new ArrayList<>();
    for (Snapshot s : snapshots(name)) {
      if (s.summary().containsKey("beamline.epoch")) {
        out.add(s.summary());
      }
    }
    return out;
  }

  public void close() {
    CatalogSpec.close(catalog);
  }
}
