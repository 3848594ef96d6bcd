package io.beamline.io.lakehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.beamline.io.lakehouse.internal.Upkeep;
import io.beamline.io.lakehouse.testing.Icebird;
import io.beamline.io.lakehouse.testing.Numbers;
import io.beamline.io.lakehouse.testing.TableContents;
import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;
import org.joda.time.Instant;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Tables written by the sink are ordinary Iceberg tables: a streaming job on MicroBatchRunner
 * writes a partitioned table of several types in many epochs, compaction rewrites part of it, and
 * the current snapshot is then read by Iceberg's own generic reader ({@code IcebergGenerics}), by
 * {@code IcebergIO.read()}, and by a second engine that shares no code with either — {@code
 * icebird} 0.3.1 under Node ({@link Icebird}) — with the same rows as the job wrote.
 */
public class IcebergInteropIT {
  static final Schema SCHEMA =
      Schema.builder()
          .addInt64Field("id")
          .addStringField("origin")
          .addDateTimeField("departure")
          .addNullableField("delay", Schema.FieldType.DOUBLE)
          .addBooleanField("cancelled")
          .addLogicalTypeField("day", SqlTypes.DATE)
          .addInt32Field("seats")
          .build();

  private static final int ROWS = 1_500;

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();
  private TableContents contents;

  @After
  public void close() {
    if (contents != null) {
      contents.close();
    }
  }

  static Row row(long id) {
    long seconds = id * 97; // spreads the rows over two days
    return Row.withSchema(SCHEMA)
        .addValues(
            id,
            new String[] {"JFK", "SFO", "ORD"}[(int) (id % 3)],
            new Instant(seconds * 1000),
            id % 7 == 0 ? null : (id % 50) - 10.5,
            id % 11 == 0,
            LocalDate.ofEpochDay(seconds / 86_400),
            (int) (100 + id % 90))
        .build();
  }

  /** id|origin|departure millis|delay|cancelled|day|seats: the same text from every reader. */
  static String line(long id, String origin, long departureMillis, Object delay, boolean cancelled,
      LocalDate day, int seats) {
    return id + "|" + origin + "|" + departureMillis + "|" + (delay == null ? "null" : Double.toString(((Number) delay).doubleValue()))
        + "|" + cancelled + "|" + day + "|" + seats;
  }

  static String line(Row r) {
    return line(r.getInt64("id"), r.getString("origin"), r.getDateTime("departure").getMillis(),
        r.getDouble("delay"), r.getBoolean("cancelled"), r.getLogicalTypeValue("day", LocalDate.class),
        r.getInt32("seats"));
  }

  static String line(Record r) {
    return line((Long) r.getField("id"), (String) r.getField("origin"),
        ((OffsetDateTime) r.getField("departure")).toInstant().toEpochMilli(), r.getField("delay"),
        (Boolean) r.getField("cancelled"), (LocalDate) r.getField("day"), (Integer) r.getField("seats"));
  }

  /** icebird's JSON: longs as strings, timestamps and dates as {date, millis}. */
  static String line(JsonNode r) {
    JsonNode delay = r.get("delay");
    return line(Long.parseLong(r.get("id").asText()), r.get("origin").asText(),
        r.get("departure").get("millis").asLong(), delay == null || delay.isNull() ? null : delay.asDouble(),
        r.get("cancelled").asBoolean(),
        r.get("day").has("millis")
            ? OffsetDateTime.ofInstant(java.time.Instant.ofEpochMilli(r.get("day").get("millis").asLong()), ZoneOffset.UTC).toLocalDate()
            : LocalDate.ofEpochDay(r.get("day").asLong()),
        r.get("seats").asInt());
  }

  private static Map<String, Integer> count(List<String> lines) {
    Map<String, Integer> m = new TreeMap<>();
    lines.forEach(l -> m.merge(l, 1, Integer::sum));
    return m;
  }

  @Test
  public void icebergGenericsIcebirdAndIcebergIoReadTheSameRowsTheJobWrote() throws Exception {
    Path warehouse = tmp.newFolder("wh").toPath();
    MicroBatchPipelineOptions options = PipelineOptionsFactory.fromArgs(
        "--runner=MicroBatchRunner", "--parallelism=2",
        "--checkpointDir=" + tmp.getRoot().toPath().resolve("checkpoint"),
        "--maxRecordsPerBatch=100", "--batchInterval=50ms").as(MicroBatchPipelineOptions.class);
    Pipeline p = Pipeline.create(options);
    p.apply(Read.from(new Numbers(ROWS)))
        .apply(MapElements.into(TypeDescriptors.rows()).via((SerializableFunction<Long, Row>) IcebergInteropIT::row))
        .setRowSchema(SCHEMA)
        .apply(IcebergIO.<Row>write().withWarehouse(warehouse.toString()).withTable("interop.flights")
            .withPartitionFields("day(departure)", "identity(origin)").withoutUpkeep());
    p.run().waitUntilFinish();

    contents = new TableContents(warehouse.toString());
    Table table = contents.table("interop.flights");
    assertThat("several epochs", contents.epochCommits("interop.flights").size(), greaterThan(5));
    assertThat("compaction rewrote files", Upkeep.compact(table, 2, 128L << 20), greaterThan(0));

    List<String> written = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      written.add(line(row(id)));
    }
    Map<String, Integer> expected = count(written);

    List<String> generics = contents.records("interop.flights").stream().map(IcebergInteropIT::line).toList();
    assertEquals("IcebergGenerics", expected, count(generics));

    Icebird icebird = Icebird.install(Path.of("target", "icebird"));
    List<String> js = icebird.read(contents.table("interop.flights")).stream().map(IcebergInteropIT::line).toList();
    assertEquals("icebird " + Icebird.VERSION + " under Node", expected, count(js));

    PipelineOptions direct = PipelineOptionsFactory.create();
    direct.setRunner(DirectRunner.class);
    Pipeline read = Pipeline.create(direct);
    PCollection<String> ours = read
        .apply(IcebergIO.read().withWarehouse(warehouse.toString()).withTable("interop.flights"))
        .apply(MapElements.into(TypeDescriptors.strings()).via(IcebergInteropIT::line));
    PAssert.that(ours).containsInAnyOrder(written);
    read.run().waitUntilFinish();
    System.out.printf("interop: %d rows read identically by IcebergGenerics, icebird %s and IcebergIO.read()%n",
        ROWS, Icebird.VERSION);
  }
}
