package io.beamline.io.lakehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;

import io.beamline.io.lakehouse.internal.CatalogSpec;
import io.beamline.io.lakehouse.internal.SchemaMapping;
import io.beamline.io.lakehouse.testing.Appender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.LongStream;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@link IcebergTableTool}: the command line behind {@code ./beamline table}. */
public class IcebergTableToolIT {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private String out;
  private String err;

  private int run(String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code = IcebergTableTool.run(args, new PrintStream(o, true, StandardCharsets.UTF_8),
        new PrintStream(e, true, StandardCharsets.UTF_8));
    out = o.toString(StandardCharsets.UTF_8);
    err = e.toString(StandardCharsets.UTF_8);
    return code;
  }

  @Test
  public void listsShowsCompactsAndExpiresAndRejectsMistakesInOneLine() throws Exception {
    String warehouse = tmp.newFolder("wh").toString();
    assertEquals(2, run("--warehouse=" + warehouse, "list"));
    assertThat(err, containsString("no warehouse"));

    CatalogSpec catalog = CatalogSpec.embedded(warehouse);
    catalog.ensureNamespace(TableIdentifier.parse("db.t"));
    Table t = catalog.catalog().createTable(TableIdentifier.parse("db.t"),
        SchemaMapping.toIceberg(IcebergWriteIT.SCHEMA), PartitionSpec.unpartitioned());
    for (int i = 0; i < 6; i++) {
      Appender.append(t, LongStream.range(i * 10L, i * 10L + 10).mapToObj(IcebergWriteIT::row).toList());
    }
    CatalogSpec.close(catalog);

    assertEquals(0, run("--warehouse=" + warehouse, "list"));
    assertThat(out, containsString("db.t"));
    assertThat(out, containsString("6 snapshots, 60 rows"));
    assertEquals(0, run("--warehouse=" + warehouse, "show", "db.t", "--limit=3"));
    assertThat(out, containsString("id  origin  ts"));
    assertThat(out, containsString("(3 of 60 rows;"));
    assertEquals(0, run("--warehouse=" + warehouse, "snapshots", "db.t"));
    assertEquals(7, out.lines().count());
    assertEquals(0, run("--warehouse=" + warehouse, "compact", "db.t", "--minFiles=5"));
    assertThat(out, containsString("6 small data files rewritten"));
    assertEquals(0, run("--warehouse=" + warehouse, "expire", "db.t", "--olderThan=PT0S", "--retainLast=1"));
    assertThat(out, containsString("6 snapshots expired"));
    assertEquals(0, run("--warehouse=" + warehouse, "list"));
    assertThat(out, containsString("1 snapshots, 60 rows"));

    assertEquals(2, run("--warehouse=" + warehouse, "show", "db.nope"));
    assertThat(err, containsString("no table db.nope; tables: [db.t]"));
    assertEquals(1, err.lines().count());
    assertEquals(2, run("--warehouse=" + warehouse, "drop", "db.t"));
    assertThat(err, containsString("unknown command 'drop'"));
    assertEquals(2, run("show", "db.t"));
    assertThat(err, containsString("--warehouse"));
  }
}
