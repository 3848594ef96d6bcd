package io.beamline.io.lakehouse.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Map;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.inmemory.InMemoryCatalog;
import org.junit.Test;

/** {@link CatalogSpec#ensureNamespace} when another task creates the namespace at the same moment. */
public class CatalogSpecTest {
  /**
   * A catalog that behaves like Iceberg's JDBC catalog losing the race: the namespace is created
   * (by "another task") and the call fails with a plain runtime exception, not AlreadyExists.
   */
  public static final class LosesTheRace extends InMemoryCatalog {
    @Override
    public void createNamespace(Namespace namespace, Map<String, String> metadata) {
      super.createNamespace(namespace, metadata);
      throw new IllegalStateException("UNIQUE constraint failed: iceberg_namespace_properties");
    }
  }

  /** A catalog whose namespace creation fails outright. */
  public static final class CannotCreate extends InMemoryCatalog {
    @Override
    public void createNamespace(Namespace namespace, Map<String, String> metadata) {
      throw new IllegalStateException("the catalog is read-only");
    }
  }

  private static CatalogSpec catalog(Class<?> impl) {
    return CatalogSpec.of("test-" + impl.getSimpleName(), Map.of("catalog-impl", impl.getName()));
  }

  @Test
  public void aNamespaceCreatedConcurrentlyCountsAsCreated() {
    CatalogSpec spec = catalog(LosesTheRace.class);
    spec.ensureNamespace(TableIdentifier.parse("db.t"));
    assertTrue(((SupportsNamespaces) spec.catalog()).namespaceExists(Namespace.of("db")));
  }

  @Test
  public void aNamespaceThatCannotBeCreatedFails() {
    CatalogSpec spec = catalog(CannotCreate.class);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> spec.ensureNamespace(TableIdentifier.parse("db.t")));
    assertEquals("the catalog is read-only", e.getMessage());
  }
}
