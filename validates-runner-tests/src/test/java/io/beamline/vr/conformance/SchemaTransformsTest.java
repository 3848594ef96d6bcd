package io.beamline.vr.conformance;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.transforms.CoGroup;
import org.apache.beam.sdk.schemas.transforms.Join;
import org.apache.beam.sdk.schemas.transforms.Select;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * Issue 9, bug 2: rows produced by Beam's schema transforms must equal, by {@link Row#equals}, rows
 * built with the output PCollection's schema, as they do on DirectRunner.
 */
@RunWith(Parameterized.class)
public class SchemaTransformsTest implements Serializable {
  private static final Schema COUNTS =
      Schema.builder().addStringField("user").addInt32Field("count").build();
  private static final Schema COUNTRIES =
      Schema.builder().addStringField("user").addStringField("country").build();

  @Parameterized.Parameters(name = "{0}")
  public static List<ConformanceRunner> runners() {
    return ConformanceRunner.all();
  }

  @Rule public final transient TestPipeline p;

  public SchemaTransformsTest(ConformanceRunner runner) {
    this.p = runner.pipeline();
  }

  private static Row count(String user, int count) {
    return Row.withSchema(COUNTS).addValues(user, count).build();
  }

  private static Row country(String user, String country) {
    return Row.withSchema(COUNTRIES).addValues(user, country).build();
  }

  private PCollection<Row> counts() {
    return p.apply("counts", Create.of(count("ann", 1), count("bob", 2)).withRowSchema(COUNTS));
  }

  private PCollection<Row> countries() {
    return p.apply(
        "countries",
        Create.of(country("ann", "fr"), country("cid", "de")).withRowSchema(COUNTRIES));
  }

  @Test
  public void innerJoin() {
    PCollection<Row> joined = counts().apply(Join.<Row, Row>innerJoin(countries()).using("user"));
    Schema schema = joined.getSchema();
    PAssert.that(joined)
        .containsInAnyOrder(
            Row.withSchema(schema).addValues(count("ann", 1), country("ann", "fr")).build());
    p.run();
  }

  @Test
  public void fullOuterJoin() {
    PCollection<Row> joined =
        counts().apply(Join.<Row, Row>fullOuterJoin(countries()).using("user"));
    Schema schema = joined.getSchema();
    PAssert.that(joined)
        .containsInAnyOrder(
            Row.withSchema(schema).addValues(count("ann", 1), country("ann", "fr")).build(),
            Row.withSchema(schema).addValues(count("bob", 2), null).build(),
            Row.withSchema(schema).addValues(null, country("cid", "de")).build());
    p.run();
  }

  @Test
  public void coGroupJoinCrossProduct() {
    PCollection<Row> joined =
        PCollectionTuple.of("counts", counts())
            .and("countries", countries())
            .apply(CoGroup.join(CoGroup.By.fieldNames("user")).crossProductJoin());
    Schema schema = joined.getSchema();
    PAssert.that(joined)
        .containsInAnyOrder(
            Row.withSchema(schema)
                .withFieldValue("counts", count("ann", 1))
                .withFieldValue("countries", country("ann", "fr"))
                .build());
    p.run();
  }

  @Test
  public void coGroupJoinGrouped() {
    PCollection<Row> grouped =
        PCollectionTuple.of("counts", counts())
            .and("countries", countries())
            .apply(CoGroup.join(CoGroup.By.fieldNames("user")));
    Schema schema = grouped.getSchema();
    Schema key = schema.getField("key").getType().getRowSchema();
    PAssert.that(grouped)
        .containsInAnyOrder(
            grouped(schema, key, "ann", List.of(count("ann", 1)), List.of(country("ann", "fr"))),
            grouped(schema, key, "bob", List.of(count("bob", 2)), List.of()),
            grouped(schema, key, "cid", List.of(), List.of(country("cid", "de"))));
    p.run();
  }

  private static Row grouped(
      Schema schema, Schema key, String user, List<Row> counts, List<Row> countries) {
    return Row.withSchema(schema)
        .withFieldValue("key", Row.withSchema(key).addValue(user).build())
        .withFieldValue("counts", counts)
        .withFieldValue("countries", countries)
        .build();
  }

  @Test
  public void innerJoinOnDifferentlyNamedFields() {
    Schema names = Schema.builder().addStringField("name").addStringField("country").build();
    PCollection<Row> countries =
        p.apply(
            "names",
            Create.of(Row.withSchema(names).addValues("ann", "fr").build()).withRowSchema(names));
    PCollection<Row> joined =
        counts()
            .apply(
                Join.<Row, Row>innerJoin(countries)
                    .on(Join.FieldsEqual.left("user").right("name")));
    Schema schema = joined.getSchema();
    PAssert.that(joined)
        .containsInAnyOrder(
            Row.withSchema(schema)
                .addValues(count("ann", 1), Row.withSchema(names).addValues("ann", "fr").build())
                .build());
    p.run();
  }

  @Test
  public void coGroupJoinGroupedOnDifferentlyNamedFields() {
    Schema names = Schema.builder().addStringField("name").addStringField("country").build();
    Row annInFrance = Row.withSchema(names).addValues("ann", "fr").build();
    PCollection<Row> countries =
        p.apply("names", Create.of(annInFrance).withRowSchema(names));
    PCollection<Row> grouped =
        PCollectionTuple.of("counts", counts())
            .and("names", countries)
            .apply(
                CoGroup.join("counts", CoGroup.By.fieldNames("user"))
                    .join("names", CoGroup.By.fieldNames("name")));
    Schema schema = grouped.getSchema();
    Schema key = schema.getField("key").getType().getRowSchema();
    PAssert.that(grouped)
        .containsInAnyOrder(
            Row.withSchema(schema)
                .withFieldValue("key", Row.withSchema(key).addValue("ann").build())
                .withFieldValue("counts", List.of(count("ann", 1)))
                .withFieldValue("names", List.of(annInFrance))
                .build(),
            Row.withSchema(schema)
                .withFieldValue("key", Row.withSchema(key).addValue("bob").build())
                .withFieldValue("counts", List.of(count("bob", 2)))
                .withFieldValue("names", List.of())
                .build());
    p.run();
  }

  /** A schema'd POJO (JavaFieldSchema). */
  @DefaultSchema(JavaFieldSchema.class)
  public static final class Purchase implements Serializable {
    public String user;
    public long cents;

    public Purchase() {}

    Purchase(String user, long cents) {
      this.user = user;
      this.cents = cents;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Purchase other && user.equals(other.user) && cents == other.cents;
    }

    @Override
    public int hashCode() {
      return Objects.hash(user, cents);
    }
  }

  @Test
  public void innerJoinOfPojos() throws NoSuchSchemaException {
    PCollection<Purchase> purchases =
        p.apply("purchases", Create.of(new Purchase("ann", 250), new Purchase("bob", 100)));
    PCollection<Row> joined =
        purchases.apply(Join.<Purchase, Row>innerJoin(countries()).using("user"));
    Schema schema = joined.getSchema();
    Row purchase =
        p.getSchemaRegistry().getToRowFunction(Purchase.class).apply(new Purchase("ann", 250));
    PAssert.that(joined)
        .containsInAnyOrder(Row.withSchema(schema).addValues(purchase, country("ann", "fr")).build());
    p.run();
  }

  @Test
  public void fieldsOfSelectedRowsReadByTheirOutputNames() {
    Schema renamed = Schema.builder().addStringField("name").addInt32Field("n").build();
    PCollection<String> read =
        counts()
            .apply(Select.<Row>fieldNames("user", "count").withOutputSchema(renamed))
            .apply(
                MapElements.into(TypeDescriptors.strings())
                    .via((Row row) -> row.getString("name") + "=" + row.getInt32("n")));
    PAssert.that(read).containsInAnyOrder("ann=1", "bob=2");
    p.run();
  }

  @Test
  public void selectWithOutputSchema() {
    Schema renamed = Schema.builder().addStringField("name").addInt32Field("n").build();
    PCollection<Row> selected =
        counts().apply(Select.<Row>fieldNames("user", "count").withOutputSchema(renamed));
    PAssert.that(selected)
        .containsInAnyOrder(
            Row.withSchema(renamed).addValues("ann", 1).build(),
            Row.withSchema(renamed).addValues("bob", 2).build());
    p.run();
  }
}
