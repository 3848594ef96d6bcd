package io.beamline.io.lakehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.beamline.io.lakehouse.internal.CatalogSpec;
import io.beamline.io.lakehouse.internal.SchemaMapping;
import io.beamline.io.lakehouse.internal.Upkeep;
import io.beamline.io.lakehouse.testing.Appender;
import io.beamline.io.lakehouse.testing.TableContents;
import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expressions;
import org.joda.time.Instant;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code IcebergIO.read()}: bounded scans (current snapshot, an older snapshot, a filter, a
 * projection) on DirectRunner, and the streaming read of appended snapshots on MicroBatchRunner:
 * Iceberg → pipeline → Iceberg copies every row once, and a second run on the same checkpoint
 * copies only what was appended since, passing over a compaction.
 */
public class IcebergReadIT {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();
  private final List<TableContents> opened = new ArrayList<>();
  private String warehouse;

  @After
  public void closeCatalogs() {
    opened.forEach(TableContents::close);
  }

  private TableContents contents() {
    TableContents c = new TableContents(warehouse);
    opened.add(c);
    return c;
  }

  /** A table of IcebergWriteIT's schema partitioned by origin, with 3 snapshots of 100 rows. */
  private Table sourceTable() throws Exception {
    warehouse = tmp.newFolder("wh").toString();
    CatalogSpec catalog = CatalogSpec.embedded(warehouse);
    org.apache.iceberg.Schema schema = SchemaMapping.toIceberg(IcebergWriteIT.SCHEMA);
    catalog.ensureNamespace(TableIdentifier.parse("db.src"));
    Table t = catalog.catalog().createTable(TableIdentifier.parse("db.src"), schema,
        PartitionSpec.builderFor(schema).identity("origin").build());
    for (int batch = 0; batch < 3; batch++) {
      appendBatch(t, batch);
    }
    return t;
  }

  /** Rows 100·b … 100·b+99, JFK ones then SFO ones (one snapshot per origin… in one commit each). */
  static void appendBatch(Table t, int batch) {
    List<Row> jfk = new ArrayList<>();
    List<Row> sfo = new ArrayList<>();
    for (long id = batch * 100L; id < batch * 100L + 100; id++) {
      Row r = IcebergWriteIT.row(id);
      (r.getString("origin").equals("JFK") ? jfk : sfo).add(r);
    }
    Appender.append(t, jfk);
    Appender.append(t, sfo);
  }

  private static PipelineOptions direct() {
    PipelineOptions o = PipelineOptionsFactory.create();
    o.setRunner(DirectRunner.class);
    return o;
  }

  private static List<Row> rows(long from, long to) {
    return LongStream.range(from, to).mapToObj(IcebergWriteIT::row).toList();
  }

  @Test
  public void boundedScanReadsTheCurrentSnapshotWithFilterColumnsAndTimeTravel() throws Exception {
    Table t = sourceTable();
    long afterFirstBatch = t.snapshots().iterator().next().snapshotId(); // JFK rows of batch 0
    Pipeline p = Pipeline.create(direct());
    PCollection<Row> all = p.apply("All", IcebergIO.read().withWarehouse(warehouse).withTable("db.src"));
    PAssert.that(all).containsInAnyOrder(rows(0, 300));

    PCollection<Row> filtered = p.apply("Filtered", IcebergIO.read().withWarehouse(warehouse)
        .withTable("db.src")
        .withFilter(Expressions.and(Expressions.equal("origin", "JFK"), Expressions.lessThan("id", 30L)))
        .withColumns("id", "delay"));
    org.apache.beam.sdk.schemas.Schema projected = org.apache.beam.sdk.schemas.Schema.builder()
        .addInt64Field("id").addNullableField("delay", org.apache.beam.sdk.schemas.Schema.FieldType.DOUBLE).build();
    PAssert.that(filtered).containsInAnyOrder(
        LongStream.range(0, 30).filter(i -> i % 3 == 0)
            .mapToObj(i -> Row.withSchema(projected).addValues(i, i % 5 == 0 ? null : i / 10.0).build())
            .toList());

    PCollection<Row> old = p.apply("AsOfFirstSnapshot", IcebergIO.read().withWarehouse(warehouse)
        .withTable("db.src").withSnapshot(afterFirstBatch));
    PAssert.that(old).containsInAnyOrder(
        rows(0, 100).stream().filter(r -> r.getString("origin").equals("JFK")).toList());
    p.run().waitUntilFinish();
  }

  @Test
  public void missingTableOrColumnFailsAtExpansion() throws Exception {
    sourceTable();
    Pipeline p = Pipeline.create(direct());
    IllegalArgumentException noTable = assertThrows(IllegalArgumentException.class,
        () -> p.apply("a", IcebergIO.read().withWarehouse(warehouse).withTable("db.nope")));
    assertThat(noTable.getMessage(), containsString("db.nope"));
    IllegalArgumentException noColumn = assertThrows(IllegalArgumentException.class,
        () -> p.apply("b", IcebergIO.read().withWarehouse(warehouse).withTable("db.src").withColumns("gate")));
    assertThat(noColumn.getMessage(), containsString("'gate'"));
  }

  private Pipeline copyPipeline(Path checkpoint) {
    MicroBatchPipelineOptions o = PipelineOptionsFactory.fromArgs(
        "--runner=MicroBatchRunner", "--parallelism=2", "--checkpointDir=" + checkpoint,
        "--trigger=availableNow", "--maxRecordsPerBatch=70", "--batchInterval=50ms")
        .as(MicroBatchPipelineOptions.class);
    Pipeline p = Pipeline.create(o);
    p.apply(IcebergIO.read().withWarehouse(warehouse).withTable("db.src").streaming()
            .withPollInterval(org.joda.time.Duration.millis(50)))
        .apply(MapElements.into(TypeDescriptors.rows()).via((Row r) -> r))
        .setRowSchema(IcebergWriteIT.SCHEMA)
        .apply(IcebergIO.<Row>write().withWarehouse(warehouse).withTable("db.copy").withoutUpkeep());
    return p;
  }

  private Map<Long, Integer> copies() {
    Map<Long, Integer> n = new TreeMap<>();
    for (Record r : contents().records("db.copy")) {
      n.merge((Long) r.getField("id"), 1, Integer::sum);
    }
    return n;
  }

  @Test
  public void streamingReadCopiesEveryAppendedRowOnceAndResumesAfterTheLastEpoch() throws Exception {
    Table t = sourceTable();
    Path checkpoint = tmp.getRoot().toPath().resolve("checkpoint");
    copyPipeline(checkpoint).run().waitUntilFinish();
    Map<Long, Integer> expected =
        LongStream.range(0, 300).boxed().collect(Collectors.toMap(i -> i, i -> 1, (a, b) -> a, TreeMap::new));
    assertEquals(expected, copies());

    appendBatch(t, 3);
    Upkeep.compact(t, 2, 128L << 20); // a replace snapshot the reader passes over
    appendBatch(t, 4);
    copyPipeline(checkpoint).run().waitUntilFinish();
    LongStream.range(300, 500).forEach(i -> expected.put(i, 1));
    assertEquals(expected, copies());
    assertEquals("the source's rows are unchanged by compaction", 500, contents().records("db.src").size());
  }

  static Instant at(long seconds) {
    return new Instant(seconds * 1000);
  }
}
