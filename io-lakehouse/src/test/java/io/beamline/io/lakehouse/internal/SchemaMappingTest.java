package io.beamline.io.lakehouse.internal;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.beam.sdk.values.Row;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.types.Types;
import org.joda.time.Instant;
import org.junit.Test;

/** Beam ↔ Iceberg schemas and values, and which schema changes a table accepts. */
public class SchemaMappingTest {
  static final Schema NESTED = Schema.builder().addInt32Field("gate").addNullableField("note", FieldType.STRING).build();
  static final Schema BEAM =
      Schema.builder()
          .addInt64Field("id")
          .addInt16Field("small")
          .addStringField("name")
          .addDateTimeField("ts")
          .addNullableField("delay", FieldType.DOUBLE)
          .addBooleanField("ok")
          .addByteArrayField("raw")
          .addDecimalField("price")
          .addLogicalTypeField("day", SqlTypes.DATE)
          .addArrayField("tags", FieldType.STRING)
          .addMapField("counts", FieldType.STRING, FieldType.INT64)
          .addRowField("nested", NESTED)
          .build();

  @Test
  public void beamTypesMapToIcebergTypesAndBack() {
    org.apache.iceberg.Schema iceberg = SchemaMapping.toIceberg(BEAM);
    assertEquals(Types.LongType.get(), iceberg.findType("id"));
    assertEquals(Types.IntegerType.get(), iceberg.findType("small"));
    assertEquals(Types.TimestampType.withZone(), iceberg.findType("ts"));
    assertEquals(Types.DecimalType.of(38, 18), iceberg.findType("price"));
    assertEquals(Types.DateType.get(), iceberg.findType("day"));
    assertTrue(iceberg.findField("delay").isOptional());
    assertTrue(iceberg.findField("id").isRequired());
    assertEquals(Types.IntegerType.get(), iceberg.findType("nested.gate"));
    Schema back = SchemaMapping.toBeam(iceberg);
    assertEquals(FieldType.INT32, back.getField("small").getType());
    assertEquals(FieldType.DATETIME, back.getField("ts").getType());
    assertEquals(FieldType.DOUBLE.withNullable(true), back.getField("delay").getType());
    assertEquals(BEAM.getFieldNames(), back.getFieldNames());
  }

  @Test
  public void rowsRoundTripThroughRecords() {
    Row row = Row.withSchema(BEAM).addValues(7L, (short) 3, "x", new Instant(1234), null, true,
        new byte[] {1, 2}, new BigDecimal("1.5"), LocalDate.of(2001, 1, 2), List.of("a", "b"),
        Map.of("k", 2L), Row.withSchema(NESTED).addValues(4, null).build()).build();
    org.apache.iceberg.Schema iceberg = SchemaMapping.toIceberg(BEAM);
    Record r = RowConversion.toRecord(row, iceberg);
    assertEquals(3, r.getField("small"));
    assertEquals(1234L, ((OffsetDateTime) r.getField("ts")).toInstant().toEpochMilli());
    assertEquals(new BigDecimal("1.500000000000000000"), r.getField("price"));
    assertEquals(ByteBuffer.wrap(new byte[] {1, 2}), r.getField("raw"));
    Row back = RowConversion.toRow(r, SchemaMapping.toBeam(iceberg));
    assertEquals(7L, (long) back.getInt64("id"));
    assertEquals(new Instant(1234), back.getDateTime("ts"));
    assertEquals(LocalDate.of(2001, 1, 2), back.getLogicalTypeValue("day", LocalDate.class));
    assertEquals(List.of("a", "b"), back.getArray("tags"));
    assertEquals(4, (int) back.getRow("nested").getInt32("gate"));
  }

  @Test
  public void newNullableFieldsAndPromotionsAreChangesOthersAreRefusedNamingTheField() {
    org.apache.iceberg.Schema table = SchemaMapping.toIceberg(
        Schema.builder().addInt32Field("id").addFloatField("v").addRowField("nested", NESTED).build());
    Schema wider = Schema.builder().addInt64Field("id").addDoubleField("v")
        .addRowField("nested", Schema.builder().addFields(NESTED.getFields())
            .addNullableField("extra", FieldType.INT64).build())
        .addNullableField("gate", FieldType.STRING).build();
    List<SchemaMapping.Change> changes = SchemaMapping.reconcile(wider, table);
    assertEquals("[promote id long, promote v double, add optional nested.extra long, add optional gate string]",
        changes.toString());
    assertEquals(List.of(), SchemaMapping.reconcile(wider, SchemaMapping.toIceberg(wider)));

    IncompatibleSchemaException type = assertThrows(IncompatibleSchemaException.class,
        () -> SchemaMapping.reconcile(Schema.builder().addStringField("id").build(), table));
    assertEquals("id", type.field());
    IncompatibleSchemaException required = assertThrows(IncompatibleSchemaException.class,
        () -> SchemaMapping.reconcile(Schema.builder().addInt32Field("id").addFloatField("v")
            .addRowField("nested", NESTED).addStringField("gate").build(), table));
    assertThat(required.getMessage(), containsString("'gate'"));
    assertThat(required.getMessage(), containsString("nullable"));
    IncompatibleSchemaException missing = assertThrows(IncompatibleSchemaException.class,
        () -> SchemaMapping.reconcile(Schema.builder().addInt32Field("id").build(), table));
    assertThat(missing.getMessage(), containsString("'v'"));
    IncompatibleSchemaException nullable = assertThrows(IncompatibleSchemaException.class,
        () -> SchemaMapping.reconcile(Schema.builder().addNullableField("id", FieldType.INT32)
            .addFloatField("v").addRowField("nested", NESTED).build(), table));
    assertThat(nullable.getMessage(), containsString("required"));
  }

  @Test
  public void partitionFieldsParseIcebergTransformsAndNameTheBadOne() {
    org.apache.iceberg.Schema s = SchemaMapping.toIceberg(BEAM);
    assertEquals("[ts_day, name, id_bucket, name_trunc]",
        PartitionFields.toSpec(List.of("day(ts)", "name", "bucket(16, id)", "truncate(2,name)"), s)
            .fields().stream().map(f -> f.name()).toList().toString());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> PartitionFields.toSpec(List.of("week(ts)"), s));
    assertThat(unknown.getMessage(), containsString("week(ts)"));
    IllegalArgumentException noColumn = assertThrows(IllegalArgumentException.class,
        () -> PartitionFields.toSpec(List.of("day(departure)"), s));
    assertThat(noColumn.getMessage(), containsString("day(departure)"));
    IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class,
        () -> PartitionFields.toSpec(List.of("day(name)"), s));
    assertThat(wrongType.getMessage(), containsString("day(name)"));
  }

  @Test
  public void dataFileNamesCarryTheTagAndEpoch() {
    String tag = "0123456789abcdef";
    String name = "/w/db/t/data/k=1/00001-42-bl" + tag + "x9f3e01aa-00003.parquet";
    assertTrue(DataFileNames.isOf(name, tag, 42));
    assertTrue(!DataFileNames.isOf(name, tag, 4));
    assertTrue(!DataFileNames.isOf(name, "fedcba9876543210", 42));
    assertTrue(!DataFileNames.isOf("/w/db/t/data/00000-0-compact1a2b-00001.parquet", tag, 0));
    assertThat(DataFileNames.operationId(tag), containsString("bl" + tag + "x"));
  }
}
