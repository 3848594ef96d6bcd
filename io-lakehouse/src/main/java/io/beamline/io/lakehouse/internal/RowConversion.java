package io.beamline.io.lakehouse.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.apache.iceberg.Schema;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.types.Types.NestedField;
import org.joda.time.ReadableInstant;

/**
 * Values between Beam {@link Row}s and Iceberg's generic {@link Record}s (the in-memory model of
 * iceberg-data: {@code Integer}, {@code Long}, {@code BigDecimal}, {@code LocalDate}, {@code
 * LocalTime}, {@code LocalDateTime}, {@code OffsetDateTime}, {@code ByteBuffer}, {@code List},
 * {@code Map}, {@code Record}). Fields are matched by name; table columns the row lacks are null.
 * See {@link SchemaMapping} for the type mapping.
 */
public final class RowConversion {
  private RowConversion() {}

  /** The record of {@code row} in a table of schema {@code table}. */
  public static Record toRecord(Row row, Schema table) {
    return toRecord(row, table.asStruct());
  }

  private static Record toRecord(Row row, Types.StructType struct) {
    GenericRecord record = GenericRecord.create(struct);
    org.apache.beam.sdk.schemas.Schema beam = row.getSchema();
    List<NestedField> fields = struct.fields();
    for (int i = 0; i < fields.size(); i++) {
      NestedField f = fields.get(i);
      if (!beam.hasField(f.name())) {
        continue;
      }
      Object value = row.getValue(f.name());
      if (value == null) {
        if (f.isRequired()) {
          throw new IllegalArgumentException(
              "column '" + f.name() + "' is required but the row's value is null: " + row);
        }
        continue;
      }
      record.set(i, toIceberg(value, f.type(), f.name()));
    }
    return record;
  }

  private static Object toIceberg(Object v, Type type, String name) {
    switch (type.typeId()) {
      case INTEGER:
        return ((Number) v).intValue();
      case LONG:
        return ((Number) v).longValue();
      case FLOAT:
        return ((Number) v).floatValue();
      case DOUBLE:
        return ((Number) v).doubleValue();
      case DECIMAL:
        {
          int scale = ((Types.DecimalType) type).scale();
          BigDecimal d = (BigDecimal) v;
          try {
            return d.setScale(scale, RoundingMode.UNNECESSARY);
          } catch (ArithmeticException e) {
            throw new IllegalArgumentException(
                "column '" + name + "': " + d + " does not fit scale " + scale, e);
          }
        }
      case STRING:
        return v.toString();
      case UUID:
        return java.util.UUID.fromString(v.toString());
      case BOOLEAN:
      case DATE:
      case TIME:
        return v;
      case TIMESTAMP:
        if (((Types.TimestampType) type).shouldAdjustToUTC()) {
          Instant instant =
              v instanceof ReadableInstant joda
                  ? Instant.ofEpochMilli(joda.getMillis())
                  : (Instant) v;
          return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
        }
        return v; // LocalDateTime
      case BINARY:
      case FIXED:
        return v instanceof ByteBuffer ? v : ByteBuffer.wrap((byte[]) v);
      case LIST:
        {
          Type element = ((Types.ListType) type).elementType();
          List<Object> out = new ArrayList<>();
          for (Object e : (Iterable<?>) v) {
            out.add(e == null ? null : toIceberg(e, element, name + ".element"));
          }
          return out;
        }
      case MAP:
        {
          Types.MapType m = (Types.MapType) type;
          Map<Object, Object> out = new LinkedHashMap<>();
          for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
            out.put(
                toIceberg(e.getKey(), m.keyType(), name + ".key"),
                e.getValue() == null ? null : toIceberg(e.getValue(), m.valueType(), name + ".value"));
          }
          return out;
        }
      case STRUCT:
        return toRecord((Row) v, (Types.StructType) type);
      default:
        throw new IllegalArgumentException("column '" + name + "': cannot write type " + type);
    }
  }

  /** The Beam row of {@code record}, whose schema is {@code beam} (from {@link SchemaMapping}). */
  public static Row toRow(Record record, org.apache.beam.sdk.schemas.Schema beam) {
    Row.Builder b = Row.withSchema(beam);
    List<org.apache.beam.sdk.schemas.Schema.Field> fields = beam.getFields();
    Object[] values = new Object[fields.size()];
    for (int i = 0; i < fields.size(); i++) {
      Object v = record.getField(fields.get(i).getName());
      values[i] = v == null ? null : toBeam(v, fields.get(i).getType());
    }
    return b.addValues(values).build();
  }

  private static Object toBeam(Object v, FieldType type) {
    switch (type.getTypeName()) {
      case DATETIME:
        return new org.joda.time.Instant(((OffsetDateTime) v).toInstant().toEpochMilli());
      case STRING:
        return v.toString();
      case BYTES:
        {
          ByteBuffer buf = ((ByteBuffer) v).duplicate();
          byte[] bytes = new byte[buf.remaining()];
          buf.get(bytes);
          return bytes;
        }
      case ARRAY:
      case ITERABLE:
        {
          List<Object> out = new ArrayList<>();
          for (Object e : (Collection<?>) v) {
            out.add(e == null ? null : toBeam(e, type.getCollectionElementType()));
          }
          return out;
        }
      case MAP:
        {
          Map<Object, Object> out = new LinkedHashMap<>();
          for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
            out.put(
                toBeam(e.getKey(), type.getMapKeyType()),
                e.getValue() == null ? null : toBeam(e.getValue(), type.getMapValueType()));
          }
          return out;
        }
      case ROW:
        return toRow((Record) v, type.getRowSchema());
      default:
        return v; // boolean, numbers, BigDecimal, LocalDate, LocalTime, LocalDateTime
    }
  }
}
