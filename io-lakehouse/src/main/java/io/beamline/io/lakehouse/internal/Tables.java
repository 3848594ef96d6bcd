package io.beamline.io.lakehouse.internal;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the sink's tables: creates a missing table from the pipeline's schema, evolves an existing
 * one to hold it ({@link SchemaMapping#reconcile}), and keeps the {@link Table} objects per JVM so
 * that writers do not reload metadata every bundle. Thread-safe.
 *
 * <p>Writers use a cached table as it is (its schema, spec, IO and locations only grow); the
 * committer refreshes it before deciding anything.
 */
public final class Tables {
  private static final Logger LOG = LoggerFactory.getLogger(Tables.class);
  private static final Map<Key, Table> PREPARED = new ConcurrentHashMap<>();

  /** Table properties the sink sets on tables it creates, unless the user gives them. */
  public static final Map<String, String> CREATE_DEFAULTS =
      Map.of(
          TableProperties.FORMAT_VERSION, "2",
          // a commit per epoch writes a metadata file per epoch: keep the last 100, delete older
          TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true",
          TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "100");

  private record Key(CatalogSpec catalog, String table, org.apache.beam.sdk.schemas.Schema schema) {}

  private Tables() {}

  /**
   * The table {@code name} ready for rows of {@code spec.beamSchema()}: created (with the spec's
   * partition fields and properties) if absent, its schema evolved if the rows have new nullable
   * fields.
   *
   * @throws IncompatibleSchemaException if the rows cannot be written into the existing table
   */
  public static Table prepared(WriteSpec spec, String name) {
    return PREPARED.computeIfAbsent(
        new Key(spec.catalog(), name, spec.beamSchema()), k -> prepare(spec, name));
  }

  /** Forgets the cached table (after a failure that may come from stale metadata). */
  public static void forget(WriteSpec spec, String name) {
    PREPARED.remove(new Key(spec.catalog(), name, spec.beamSchema()));
  }

  private static Table prepare(WriteSpec spec, String name) {
    TableIdentifier id = TableIdentifier.parse(name);
    for (int attempt = 0; ; attempt++) {
      try {
        Table table = spec.catalog().loadOrNull(id);
        if (table == null) {
          return create(spec, id);
        }
        List<SchemaMapping.Change> changes =
            SchemaMapping.reconcile(spec.beamSchema(), table.schema());
        if (!changes.isEmpty()) {
          SchemaMapping.apply(changes, table.updateSchema()).commit();
          LOG.info("Evolved the schema of {}: {}", name, changes);
          table.refresh();
        }
        return table;
      } catch (AlreadyExistsException | CommitFailedException | NoSuchTableException e) {
        // another task created or evolved the table at the same moment: look again
        if (attempt >= 5) {
          throw e;
        }
      } catch (IllegalArgumentException e) {
        if (e instanceof IncompatibleSchemaException || attempt >= 5) {
          throw e;
        }
        // "Cannot add column, name already exists": evolved concurrently; look again
      }
    }
  }

  private static Table create(WriteSpec spec, TableIdentifier id) {
    Schema schema = SchemaMapping.toIceberg(spec.beamSchema());
    PartitionSpec partitionSpec = PartitionFields.toSpec(spec.partitionFields(), schema);
    Map<String, String> props = new TreeMap<>(CREATE_DEFAULTS);
    props.putAll(spec.tableProperties());
    spec.catalog().ensureNamespace(id);
    Table table = spec.catalog().catalog().createTable(id, schema, partitionSpec, props);
    LOG.info("Created table {} ({}) at {}", id, partitionSpec, table.location());
    return table;
  }

  /**
   * Checks, without changing anything, that the pipeline's rows fit {@code name} if it exists,
   * and that the partition fields fit the schema; for expansion time.
   *
   * @throws IllegalArgumentException naming the field that does not fit
   */
  public static void check(WriteSpec spec, String name) {
    Schema schema = SchemaMapping.toIceberg(spec.beamSchema());
    PartitionFields.toSpec(spec.partitionFields(), schema);
    if (!spec.catalog().mayHaveTables()) {
      return;
    }
    Table table = spec.catalog().loadOrNull(TableIdentifier.parse(name));
    if (table != null) {
      SchemaMapping.reconcile(spec.beamSchema(), table.schema());
    }
  }
}
