package io.beamline.io.lakehouse.internal;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;

/**
 * Which Iceberg catalog a transform uses: a name and the properties Iceberg's {@link
 * CatalogUtil#buildIcebergCatalog} loads it from ({@code type} or {@code catalog-impl}, {@code
 * uri}, {@code warehouse}, {@code io-impl}, …). {@link #embedded} is the server-less default: a
 * {@code JdbcCatalog} on a SQLite file inside a local warehouse directory, with {@link
 * LocalFileIO}.
 *
 * <p>Catalogs are opened once per JVM and spec ({@link #catalog()}), since opening one costs a
 * connection pool (JDBC) or an HTTP client (REST); they stay open for the life of the process.
 */
public final class CatalogSpec implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Map<CatalogSpec, Catalog> OPEN = new ConcurrentHashMap<>();

  /** Name of the SQLite file an embedded warehouse keeps its catalog in. */
  public static final String EMBEDDED_DB = "catalog.db";

  private final String name;
  private final TreeMap<String, String> properties;
  private final boolean embedded;

  private CatalogSpec(String name, Map<String, String> properties, boolean embedded) {
    this.name = Objects.requireNonNull(name, "catalog name");
    this.properties = new TreeMap<>(properties);
    this.embedded = embedded;
  }

  /**
   * The embedded catalog of the warehouse directory {@code warehouse} (created if absent): tables
   * under {@code <warehouse>/<namespace>/<table>}, the catalog in {@code <warehouse>/catalog.db}.
   */
  public static CatalogSpec embedded(String warehouse) {
    Path dir = Path.of(warehouse).toAbsolutePath().normalize();
    Map<String, String> props = new TreeMap<>();
    props.put(CatalogProperties.CATALOG_IMPL, "org.apache.iceberg.jdbc.JdbcCatalog");
    props.put(CatalogProperties.URI, "jdbc:sqlite:" + dir.resolve(EMBEDDED_DB));
    props.put(CatalogProperties.WAREHOUSE_LOCATION, dir.toString());
    props.put(CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName());
    // V1 adds the iceberg_type column (views); SQLite allows one writer: one pooled connection
    props.put("jdbc.schema-version", "V1");
    props.put(CatalogProperties.CLIENT_POOL_SIZE, "1");
    // several processes share a warehouse (a job, a follower job, ./beamline table): with SQLite's
    // write-ahead log readers never block the writer, and a writer waits for another instead of
    // failing with SQLITE_BUSY (sqlite-jdbc reads these pragmas from the connection properties,
    // which JdbcCatalog passes on from its "jdbc." properties)
    props.put("jdbc.journal_mode", "WAL");
    props.put("jdbc.busy_timeout", "30000");
    return new CatalogSpec("beamline", props, true);
  }

  /** Any catalog Iceberg can load from properties (REST, Hive, JDBC, Nessie, Glue…). */
  public static CatalogSpec of(String name, Map<String, String> properties) {
    return new CatalogSpec(name, properties, false);
  }

  public String name() {
    return name;
  }

  public Map<String, String> properties() {
    return java.util.Collections.unmodifiableMap(properties);
  }

  /** The warehouse directory of an embedded catalog, else null. */
  public String warehouse() {
    return embedded ? properties.get(CatalogProperties.WAREHOUSE_LOCATION) : null;
  }

  /**
   * False only for an embedded catalog whose database file does not exist yet: no table can exist,
   * and looking would create the file (expansion-time checks must not change anything).
   */
  public boolean mayHaveTables() {
    return !embedded || Files.exists(Path.of(warehouse()).resolve(EMBEDDED_DB));
  }

  /** The catalog, opened on first use in this JVM. */
  public Catalog catalog() {
    return OPEN.computeIfAbsent(this, CatalogSpec::open);
  }

  /** A new catalog for {@code spec}, not shared: the caller closes it. */
  public Catalog openUncached() {
    return open(this);
  }

  private static Catalog open(CatalogSpec spec) {
    if (spec.embedded) {
      try {
        Files.createDirectories(Path.of(spec.warehouse()));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(
            "Cannot create the warehouse directory " + spec.warehouse(), e);
      }
    }
    if (spec.embedded) {
      return SqliteCatalog.open(spec.name, spec.properties);
    }
    Object hadoopConf = null;
    String impl = spec.properties.getOrDefault(CatalogProperties.CATALOG_IMPL, "");
    String type = spec.properties.getOrDefault(CatalogUtil.ICEBERG_CATALOG_TYPE, "");
    if (type.equals("hadoop") || type.equals("hive") || impl.contains("Hadoop") || impl.contains("Hive")) {
      hadoopConf = new org.apache.hadoop.conf.Configuration();
    }
    return CatalogUtil.buildIcebergCatalog(spec.name, spec.properties, hadoopConf);
  }

  /** Closes the catalogs this JVM opened for {@code spec} (tests and command-line tools). */
  public static void close(CatalogSpec spec) {
    Catalog c = OPEN.remove(spec);
    if (c instanceof java.io.Closeable closeable) {
      try {
        closeable.close();
      } catch (java.io.IOException e) {
        // closing a pool: nothing to recover
      }
    }
  }

  /** The table, or null if it does not exist. */
  public Table loadOrNull(TableIdentifier id) {
    Catalog c = catalog();
    return c.tableExists(id) ? c.loadTable(id) : null;
  }

  /**
   * Creates the namespace of {@code id} if the catalog has namespaces and it is missing; a
   * namespace another task creates at the same moment counts as created.
   *
   * @throws RuntimeException from the catalog if the namespace cannot be created and still does not
   *     exist
   */
  public void ensureNamespace(TableIdentifier id) {
    if (catalog() instanceof SupportsNamespaces ns && !id.namespace().isEmpty()) {
      Namespace n = id.namespace();
      if (!ns.namespaceExists(n)) {
        try {
          ns.createNamespace(n);
        } catch (AlreadyExistsException e) {
          // created concurrently by another task
        } catch (RuntimeException e) {
          // Iceberg's JDBC catalog reports a concurrent creation as a failed insert (a primary-key
          // violation in iceberg_namespace_properties), not as AlreadyExistsException
          if (!ns.namespaceExists(n)) {
            throw e;
          }
        }
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CatalogSpec other
        && name.equals(other.name)
        && properties.equals(other.properties)
        && embedded == other.embedded;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, properties, embedded);
  }

  @Override
  public String toString() {
    return embedded ? "embedded catalog of " + warehouse() : "catalog " + name + " " + redacted();
  }

  private Map<String, String> redacted() {
    Map<String, String> shown = new TreeMap<>();
    properties.forEach(
        (k, v) ->
            shown.put(
                k,
                k.contains("password") || k.contains("secret") || k.contains("token")
                    || k.contains("credential") ? "***" : v));
    return shown;
  }
}
