package io.beamline.io.lakehouse.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.ClientPool;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.jdbc.JdbcClientPool;

/**
 * Opens the embedded catalog: Iceberg's {@link JdbcCatalog} on SQLite, whose connection pool runs
 * the catalog's initialisation on connections of its own that are closed right after.
 *
 * <p>Why: {@code JdbcCatalog.initialize} looks at the database with {@code
 * DatabaseMetaData.getTables} and {@code getColumns} and does not close those result sets (Iceberg
 * 1.10.1). On SQLite an open result set keeps a read transaction open on its connection; with a
 * pool of one connection that transaction lasts for the life of the catalog, and once another
 * process (a second job, {@code ./beamline table}) writes to the same warehouse, this catalog's
 * next commit fails at once with {@code SQLITE_BUSY} — its old read snapshot cannot become a write.
 * Closing the initialisation's connection ends that transaction.
 */
final class SqliteCatalog {
  private SqliteCatalog() {}

  static JdbcCatalog open(String name, Map<String, String> properties) {
    InitOnOwnConnectionPool[] pool = new InitOnOwnConnectionPool[1];
    JdbcCatalog catalog =
        new JdbcCatalog(
            null,
            props -> pool[0] = new InitOnOwnConnectionPool(props.get(CatalogProperties.URI), props),
            true);
    catalog.initialize(name, properties);
    pool[0].initialized = true;
    return catalog;
  }

  /** A JDBC pool that gives each action a fresh connection until {@link #initialized}. */
  private static final class InitOnOwnConnectionPool extends JdbcClientPool {
    private volatile boolean initialized;

    InitOnOwnConnectionPool(String url, Map<String, String> props) {
      super(url, props);
    }

    @Override
    public <R> R run(ClientPool.Action<R, Connection, SQLException> action)
        throws SQLException, InterruptedException {
      if (initialized) {
        return super.run(action);
      }
      try (Connection c = newClient()) {
        return action.run(c);
      }
    }

    @Override
    public <R> R run(ClientPool.Action<R, Connection, SQLException> action, boolean retry)
        throws SQLException, InterruptedException {
      return initialized ? super.run(action, retry) : run(action);
    }
  }
}
