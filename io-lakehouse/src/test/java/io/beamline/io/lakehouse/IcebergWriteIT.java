package io.beamline.io.lakehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.beamline.io.lakehouse.testing.Numbers;
import io.beamline.io.lakehouse.testing.TableContents;
import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.iceberg.data.Record;
import org.joda.time.Instant;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code IcebergIO.write()} against the embedded catalog: a bounded job commits once per table on
 * DirectRunner and on MicroBatchRunner; a streaming job on MicroBatchRunner commits each table
 * once per epoch with the epoch markers; dynamic destinations; schema evolution and the refusal of
 * incompatible schemas at expansion, before anything is written.
 */
public class IcebergWriteIT {
  static final Schema SCHEMA =
      Schema.builder()
          .addInt64Field("id")
          .addStringField("origin")
          .addDateTimeField("ts")
          .addNullableField("delay", Schema.FieldType.DOUBLE)
          .build();

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();
  private final List<TableContents> opened = new ArrayList<>();

  @After
  public void closeCatalogs() {
    opened.forEach(TableContents::close);
  }

  private TableContents contents(Path warehouse) {
    TableContents c = new TableContents(warehouse.toString());
    opened.add(c);
    return c;
  }

  static Row row(long id) {
    return Row.withSchema(SCHEMA)
        .addValues(id, id % 3 == 0 ? "JFK" : "SFO", new Instant(id * 1000), id % 5 == 0 ? null : id / 10.0)
        .build();
  }

  static Set<Long> ids(List<Record> records) {
    return records.stream().map(r -> (Long) r.getField("id")).collect(Collectors.toSet());
  }

  private PCollection<Row> rows(Pipeline p, int n) {
    List<Row> rows = LongStream.range(0, n).mapToObj(IcebergWriteIT::row).toList();
    return p.apply(Create.of(rows).withRowSchema(SCHEMA));
  }

  private static PipelineOptions directOptions() {
    PipelineOptions o = PipelineOptionsFactory.create();
    o.setRunner(DirectRunner.class);
    return o;
  }

  private static MicroBatchPipelineOptions microBatch(String... extra) {
    List<String> args = new ArrayList<>(List.of("--runner=MicroBatchRunner", "--parallelism=2"));
    args.addAll(List.of(extra));
    return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(MicroBatchPipelineOptions.class);
  }

  @Test
  public void batchJobOnDirectRunnerCommitsOncePerTable() throws Exception {
    Path warehouse = tmp.newFolder("wh").toPath();
    Pipeline p = Pipeline.create(directOptions());
    rows(p, 1000)
        .apply(IcebergIO.<Row>write()
            .withWarehouse(warehouse.toString())
            .withTable("db.flights")
            .withPartitionFields("day(ts)", "identity(origin)")
            .withoutUpkeep());
    p.run().waitUntilFinish();

    TableContents t = contents(warehouse);
    List<Record> records = t.records("db.flights");
    assertEquals(1000, records.size());
    assertEquals(LongStream.range(0, 1000).boxed().collect(Collectors.toSet()), ids(records));
    Record r7 = records.stream().filter(r -> (Long) r.getField("id") == 7L).findFirst().orElseThrow();
    assertEquals("SFO", r7.getField("origin"));
    assertEquals(0.7, (Double) r7.getField("delay"), 1e-9);
    assertEquals(7000L, ((java.time.OffsetDateTime) r7.getField("ts")).toInstant().toEpochMilli());
    assertNull(records.stream().filter(r -> (Long) r.getField("id") == 10L).findFirst().orElseThrow().getField("delay"));
    assertEquals("one commit for the bounded input", 1, t.snapshots("db.flights").size());
    assertEquals("[ts_day, origin]",
        t.table("db.flights").spec().fields().stream().map(f -> f.name()).toList().toString());
  }

  @Test
  public void batchJobOnMicroBatchRunnerCommitsOncePerTable() throws Exception {
    Path warehouse = tmp.newFolder("wh").toPath();
    Pipeline p = Pipeline.create(microBatch());
    rows(p, 500)
        .apply(IcebergIO.<Row>write()
            .withWarehouse(warehouse.toString())
            .withTableFunction(r -> r.getString("origin").equals("JFK") ? "db.jfk" : "db.sfo"));
    p.run().waitUntilFinish();

    TableContents t = contents(warehouse);
    Set<Long> jfk = ids(t.records("db.jfk"));
    Set<Long> sfo = ids(t.records("db.sfo"));
    assertEquals(LongStream.range(0, 500).filter(i -> i % 3 == 0).boxed().collect(Collectors.toSet()), jfk);
    assertEquals(LongStream.range(0, 500).filter(i -> i % 3 != 0).boxed().collect(Collectors.toSet()), sfo);
    assertEquals(1, t.snapshots("db.jfk").size());
    assertEquals(1, t.snapshots("db.sfo").size());
  }

  @Test
  public void streamingJobCommitsEachTableOncePerEpochWithMarkers() throws Exception {
    Path warehouse = tmp.newFolder("wh").toPath();
    Path checkpoint = tmp.getRoot().toPath().resolve("checkpoint");
    Pipeline p =
        Pipeline.create(
            microBatch(
                "--checkpointDir=" + checkpoint,
                "--maxRecordsPerBatch=150",
                "--batchInterval=50ms",
                "--appName=WriteIT"));
    p.apply(Read.from(new Numbers(1200)))
        .apply(MapElements.into(TypeDescriptors.rows()).via(IcebergWriteIT::row))
        .setRowSchema(SCHEMA)
        .apply(IcebergIO.<Row>write()
            .withWarehouse(warehouse.toString())
            .withTableFunction(r -> r.getInt64("id") % 2 == 0 ? "db.even" : "db.odd")
            .withPartitionFields("identity(origin)")
            .withSinkId("numbers"));
    p.run().waitUntilFinish();

    TableContents t = contents(warehouse);
    for (String table : List.of("db.even", "db.odd")) {
      List<Record> records = t.records(table);
      long parity = table.equals("db.even") ? 0 : 1;
      assertEquals(600, records.size());
      assertEquals(
          LongStream.range(0, 1200).filter(i -> i % 2 == parity).boxed().collect(Collectors.toSet()),
          ids(records));
      List<Map<String, String>> commits = t.epochCommits(table);
      assertThat("several epochs", commits.size(), greaterThan(3));
      Set<String> epochs = new HashSet<>();
      String runId = commits.get(0).get("beamline.run-id");
      for (Map<String, String> s : commits) {
        assertTrue("one commit per table per epoch: " + commits, epochs.add(s.get("beamline.epoch")));
        assertEquals(runId, s.get("beamline.run-id"));
        assertEquals("numbers", s.get("beamline.sink"));
        assertEquals("WriteIT", s.get("beamline.app"));
      }
      assertEquals("every snapshot is an epoch commit", commits.size(), t.snapshots(table).size());
    }
    // the run id of the summaries is the checkpoint's
    String metadata = new String(Files.readAllBytes(checkpoint.resolve("metadata")), java.nio.charset.StandardCharsets.ISO_8859_1);
    assertThat(metadata, containsString(t.epochCommits("db.even").get(0).get("beamline.run-id")));
  }

  @Test
  public void newNullableFieldIsAddedToTheTable() throws Exception {
    Path warehouse = tmp.newFolder("wh").toPath();
    Pipeline p1 = Pipeline.create(directOptions());
    rows(p1, 10).apply(IcebergIO.<Row>write().withWarehouse(warehouse.toString()).withTable("db.t"));
    p1.run().waitUntilFinish();

    Schema wider =
        Schema.builder().addFields(SCHEMA.getFields()).addNullableField("gate", Schema.FieldType.STRING).build();
    Pipeline p2 = Pipeline.create(directOptions());
    p2.apply(Create.of(Row.withSchema(wider).addValues(100L, "JFK", new Instant(0), 1.5, "B7").build())
            .withRowSchema(wider))
        .apply(IcebergIO.<Row>write().withWarehouse(warehouse.toString()).withTable("db.t"));
    p2.run().waitUntilFinish();

    TableContents t = contents(warehouse);
    assertTrue(t.table("db.t").schema().findField("gate").isOptional());
    Map<Long, Object> gates = new TreeMap<>();
    t.records("db.t").forEach(r -> gates.put((Long) r.getField("id"), r.getField("gate")));
    assertEquals(11, gates.size());
    assertEquals("B7", gates.get(100L));
    assertNull(gates.get(3L));
  }

  @Test
  public void incompatibleSchemaFailsAtExpansionNamingTheFieldBeforeWritingAnything() throws Exception {
    Path warehouse = tmp.newFolder("wh").toPath();
    Pipeline p1 = Pipeline.create(directOptions());
    rows(p1, 10).apply(IcebergIO.<Row>write().withWarehouse(warehouse.toString()).withTable("db.t"));
    p1.run().waitUntilFinish();
    long filesBefore = countFiles(warehouse);

    Schema changed =
        Schema.builder().addStringField("id").addStringField("origin").addDateTimeField("ts").build();
    Pipeline p2 = Pipeline.create(directOptions());
    PCollection<Row> in =
        p2.apply(Create.of(Row.withSchema(changed).addValues("x", "JFK", new Instant(0)).build())
            .withRowSchema(changed));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> in.apply(IcebergIO.<Row>write().withWarehouse(warehouse.toString()).withTable("db.t")));
    assertThat(e.getMessage(), containsString("'id'"));

    Schema required =
        Schema.builder().addFields(SCHEMA.getFields()).addStringField("gate").build();
    Pipeline p3 = Pipeline.create(directOptions());
    PCollection<Row> in3 =
        p3.apply(Create.of(Row.withSchema(required).addValues(1L, "JFK", new Instant(0), 1.0, "A1").build())
            .withRowSchema(required));
    IllegalArgumentException e3 =
        assertThrows(
            IllegalArgumentException.class,
            () -> in3.apply(IcebergIO.<Row>write().withWarehouse(warehouse.toString()).withTable("db.t")));
    assertThat(e3.getMessage(), containsString("'gate'"));
    assertThat(e3.getMessage(), containsString("nullable"));

    assertEquals("nothing written", filesBefore, countFiles(warehouse));
    assertEquals(1, contents(warehouse).snapshots("db.t").size());
  }

  @Test
  public void badConfigurationFailsAtExpansionWithoutTouchingTheWarehouse() throws Exception {
    Path warehouse = tmp.getRoot().toPath().resolve("never-created");
    Pipeline p = Pipeline.create(directOptions());
    PCollection<Row> in = rows(p, 1);
    IllegalArgumentException noTable =
        assertThrows(IllegalArgumentException.class,
            () -> in.apply("a", IcebergIO.<Row>write().withWarehouse(warehouse.toString())));
    assertThat(noTable.getMessage(), containsString("withTable"));
    IllegalArgumentException badPartition =
        assertThrows(IllegalArgumentException.class,
            () -> in.apply("b", IcebergIO.<Row>write().withWarehouse(warehouse.toString())
                .withTable("db.t").withPartitionFields("day(departure)")));
    assertThat(badPartition.getMessage(), containsString("day(departure)"));
    PCollection<Long> noSchema = p.apply(Create.of(1L));
    IllegalArgumentException schemaLess =
        assertThrows(IllegalArgumentException.class,
            () -> noSchema.apply(IcebergIO.<Long>write().withWarehouse(warehouse.toString()).withTable("db.t")));
    assertThat(schemaLess.getMessage(), containsString("schema"));
    assertFalse(Files.exists(warehouse));
  }

  static long countFiles(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith("catalog.db")).count();
    }
  }
}
