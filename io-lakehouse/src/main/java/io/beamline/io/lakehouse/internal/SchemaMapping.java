package io.beamline.io.lakehouse.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.schemas.Schema.Field;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.Schema.TypeName;
import org.apache.beam.sdk.schemas.logicaltypes.MicrosInstant;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.iceberg.Schema;
import org.apache.iceberg.UpdateSchema;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.types.Types.NestedField;

/**
 * Beam schemas to Iceberg schemas and back, and whether a pipeline's schema can write into an
 * existing table.
 *
 * <p>Types, Beam → Iceberg: BYTE, INT16, INT32 → int; INT64 → long; FLOAT → float; DOUBLE →
 * double; DECIMAL → decimal(38, 18); STRING → string; BOOLEAN → boolean; BYTES → binary; DATETIME
 * (Joda instant) → timestamptz; logical types {@code SqlTypes.DATE} → date, {@code SqlTypes.TIME}
 * → time, {@code SqlTypes.DATETIME} → timestamp, {@code MicrosInstant} → timestamptz; other logical
 * types by their base type; ARRAY/ITERABLE → list; MAP → map; ROW → struct. A nullable field is an
 * optional column. Iceberg → Beam is the inverse (timestamptz → DATETIME, millisecond precision;
 * uuid → STRING; fixed → BYTES).
 */
public final class SchemaMapping {
  /** Beam's DECIMAL has no precision; tables get this one. */
  public static final int DECIMAL_PRECISION = 38;

  public static final int DECIMAL_SCALE = 18;

  private SchemaMapping() {}

  /** The Iceberg schema of a new table for {@code beam} (ids are reassigned by the catalog). */
  public static Schema toIceberg(org.apache.beam.sdk.schemas.Schema beam) {
    AtomicInteger ids = new AtomicInteger(0);
    return new Schema(toFields(beam, ids));
  }

  private static List<NestedField> toFields(
      org.apache.beam.sdk.schemas.Schema beam, AtomicInteger ids) {
    List<NestedField> fields = new ArrayList<>();
    for (Field f : beam.getFields()) {
      int id = ids.incrementAndGet();
      Type type = toIceberg(f.getType(), f.getName(), ids);
      fields.add(NestedField.of(id, f.getType().getNullable(), f.getName(), type));
    }
    return fields;
  }

  private static Type toIceberg(FieldType t, String path, AtomicInteger ids) {
    switch (t.getTypeName()) {
      case BYTE:
      case INT16:
      case INT32:
        return Types.IntegerType.get();
      case INT64:
        return Types.LongType.get();
      case FLOAT:
        return Types.FloatType.get();
      case DOUBLE:
        return Types.DoubleType.get();
      case DECIMAL:
        return Types.DecimalType.of(DECIMAL_PRECISION, DECIMAL_SCALE);
      case STRING:
        return Types.StringType.get();
      case BOOLEAN:
        return Types.BooleanType.get();
      case BYTES:
        return Types.BinaryType.get();
      case DATETIME:
        return Types.TimestampType.withZone();
      case ARRAY:
      case ITERABLE:
        {
          FieldType element = t.getCollectionElementType();
          int id = ids.incrementAndGet();
          Type e = toIceberg(element, path + ".element", ids);
          return element.getNullable()
              ? Types.ListType.ofOptional(id, e)
              : Types.ListType.ofRequired(id, e);
        }
      case MAP:
        {
          int keyId = ids.incrementAndGet();
          int valueId = ids.incrementAndGet();
          Type k = toIceberg(t.getMapKeyType(), path + ".key", ids);
          Type v = toIceberg(t.getMapValueType(), path + ".value", ids);
          return t.getMapValueType().getNullable()
              ? Types.MapType.ofOptional(keyId, valueId, k, v)
              : Types.MapType.ofRequired(keyId, valueId, k, v);
        }
      case ROW:
        return Types.StructType.of(toFields(t.getRowSchema(), ids));
      case LOGICAL_TYPE:
        {
          String id = t.getLogicalType().getIdentifier();
          if (id.equals(SqlTypes.DATE.getIdentifier())) {
            return Types.DateType.get();
          } else if (id.equals(SqlTypes.TIME.getIdentifier())) {
            return Types.TimeType.get();
          } else if (id.equals(SqlTypes.DATETIME.getIdentifier())) {
            return Types.TimestampType.withoutZone();
          } else if (id.equals(MicrosInstant.IDENTIFIER)) {
            return Types.TimestampType.withZone();
          }
          FieldType base = t.getLogicalType().getBaseType();
          if (base.getTypeName() == TypeName.ROW || base.getTypeName() == TypeName.LOGICAL_TYPE) {
            throw new IncompatibleSchemaException(
                path, "its logical type " + id + " has no Iceberg type");
          }
          return toIceberg(base, path, ids);
        }
      default:
        throw new IncompatibleSchemaException(path, "type " + t + " has no Iceberg type");
    }
  }

  /** The Beam schema of rows read with the Iceberg schema {@code iceberg}. */
  public static org.apache.beam.sdk.schemas.Schema toBeam(Schema iceberg) {
    return toBeam(iceberg.asStruct());
  }

  private static org.apache.beam.sdk.schemas.Schema toBeam(Types.StructType struct) {
    org.apache.beam.sdk.schemas.Schema.Builder b = org.apache.beam.sdk.schemas.Schema.builder();
    for (NestedField f : struct.fields()) {
      b.addField(Field.of(f.name(), toBeam(f.type()).withNullable(f.isOptional())));
    }
    return b.build();
  }

  private static FieldType toBeam(Type t) {
    switch (t.typeId()) {
      case BOOLEAN:
        return FieldType.BOOLEAN;
      case INTEGER:
        return FieldType.INT32;
      case LONG:
        return FieldType.INT64;
      case FLOAT:
        return FieldType.FLOAT;
      case DOUBLE:
        return FieldType.DOUBLE;
      case DECIMAL:
        return FieldType.DECIMAL;
      case DATE:
        return FieldType.logicalType(SqlTypes.DATE);
      case TIME:
        return FieldType.logicalType(SqlTypes.TIME);
      case TIMESTAMP:
        return ((Types.TimestampType) t).shouldAdjustToUTC()
            ? FieldType.DATETIME
            : FieldType.logicalType(SqlTypes.DATETIME);
      case STRING:
      case UUID:
        return FieldType.STRING;
      case FIXED:
      case BINARY:
        return FieldType.BYTES;
      case LIST:
        {
          NestedField e = ((Types.ListType) t).fields().get(0);
          return FieldType.array(toBeam(e.type()).withNullable(e.isOptional()));
        }
      case MAP:
        {
          Types.MapType m = (Types.MapType) t;
          return FieldType.map(
              toBeam(m.keyType()), toBeam(m.valueType()).withNullable(m.isValueOptional()));
        }
      case STRUCT:
        return FieldType.row(toBeam((Types.StructType) t));
      default:
        throw new IllegalArgumentException("Iceberg type " + t + " cannot be read into a Beam row");
    }
  }

  /**
   * Checks that rows of {@code beam} can be written into a table of schema {@code table}, and
   * returns the schema changes that would make the table hold them: Beam's nullable fields that
   * the table lacks are added as optional columns (nested ones too), int columns written from
   * INT64 fields become long, float columns written from DOUBLE fields become double (Iceberg's
   * allowed promotions). Empty if the table fits as it is.
   *
   * @throws IncompatibleSchemaException naming the first field that cannot be reconciled: a type
   *     that differs other than by those promotions, a new field that is not nullable (Iceberg
   *     can add only optional columns to a table that has data), a nullable field whose column is
   *     required, a required column that the pipeline's schema lacks
   */
  public static List<Change> reconcile(org.apache.beam.sdk.schemas.Schema beam, Schema table) {
    List<Change> changes = new ArrayList<>();
    reconcile(beam, table.asStruct(), null, changes);
    return changes;
  }

  private static void reconcile(
      org.apache.beam.sdk.schemas.Schema beam,
      Types.StructType table,
      String parent,
      List<Change> changes) {
    for (Field f : beam.getFields()) {
      String path = parent == null ? f.getName() : parent + "." + f.getName();
      NestedField column = table.field(f.getName());
      if (column == null) {
        if (!f.getType().getNullable()) {
          throw new IncompatibleSchemaException(
              path,
              "it is new and not nullable: Iceberg adds only optional columns to an existing"
                  + " table; make the field nullable");
        }
        changes.add(
            new Change(parent, f.getName(), toIceberg(f.getType(), path, new AtomicInteger(0)), false));
        continue;
      }
      if (f.getType().getNullable() && column.isRequired()) {
        throw new IncompatibleSchemaException(
            path, "it is nullable but the table's column is required");
      }
      reconcileType(f.getType(), column.type(), parent, f.getName(), path, changes);
    }
    for (NestedField column : table.fields()) {
      if (column.isRequired() && !beam.hasField(column.name())) {
        String path = parent == null ? column.name() : parent + "." + column.name();
        throw new IncompatibleSchemaException(
            path, "the table requires it but the pipeline's schema has no such field");
      }
    }
  }

  private static void reconcileType(
      FieldType beam, Type table, String parent, String name, String path, List<Change> changes) {
    if (beam.getTypeName() == TypeName.ROW) {
      if (!(table instanceof Types.StructType struct)) {
        throw mismatch(path, beam, table);
      }
      reconcile(beam.getRowSchema(), struct, path, changes);
      return;
    }
    Type wanted = toIceberg(beam, path, new AtomicInteger(0));
    if (sameShape(wanted, table)) {
      return;
    }
    if (table.typeId() == Type.TypeID.INTEGER && wanted.typeId() == Type.TypeID.LONG) {
      changes.add(new Change(parent, name, Types.LongType.get(), true));
    } else if (table.typeId() == Type.TypeID.FLOAT && wanted.typeId() == Type.TypeID.DOUBLE) {
      changes.add(new Change(parent, name, Types.DoubleType.get(), true));
    } else if (!writableInto(wanted, table)) {
      throw mismatch(path, beam, table);
    }
  }

  /** Values of {@code wanted} can be written into {@code table} as they are or widened. */
  private static boolean writableInto(Type wanted, Type table) {
    if (wanted.typeId() == Type.TypeID.INTEGER && table.typeId() == Type.TypeID.LONG) {
      return true;
    }
    if (wanted.typeId() == Type.TypeID.FLOAT && table.typeId() == Type.TypeID.DOUBLE) {
      return true;
    }
    if (wanted.typeId() == Type.TypeID.DECIMAL && table.typeId() == Type.TypeID.DECIMAL) {
      return true; // rescaled on write; a value that does not fit fails naming the column
    }
    if (wanted.typeId() == Type.TypeID.STRING && table.typeId() == Type.TypeID.UUID) {
      return true;
    }
    if (wanted.typeId() == Type.TypeID.BINARY && table.typeId() == Type.TypeID.FIXED) {
      return true;
    }
    return false;
  }

  /** Same types ignoring field ids (and, for collections, element optionality they allow). */
  private static boolean sameShape(Type a, Type b) {
    if (a.typeId() != b.typeId()) {
      return false;
    }
    if (a.isPrimitiveType()) {
      return a.typeId() == Type.TypeID.DECIMAL || a.equals(b);
    }
    List<NestedField> fa = a.asNestedType().fields();
    List<NestedField> fb = b.asNestedType().fields();
    if (fa.size() != fb.size()) {
      return false;
    }
    for (int i = 0; i < fa.size(); i++) {
      if (fa.get(i).isOptional() && fb.get(i).isRequired()) {
        return false;
      }
      if (!sameShape(fa.get(i).type(), fb.get(i).type())
          && !writableInto(fa.get(i).type(), fb.get(i).type())) {
        return false;
      }
    }
    return true;
  }

  private static IncompatibleSchemaException mismatch(String path, FieldType beam, Type table) {
    return new IncompatibleSchemaException(
        path, "the pipeline writes " + beam.getTypeName() + " but the table's column is " + table);
  }

  /** Applies {@code changes} to {@code update} (not committed). */
  public static UpdateSchema apply(List<Change> changes, UpdateSchema update) {
    for (Change c : changes) {
      if (c.promotion) {
        update.updateColumn(c.path(), c.type.asPrimitiveType());
      } else if (c.parent == null) {
        update.addColumn(c.name, c.type);
      } else {
        update.addColumn(c.parent, c.name, c.type);
      }
    }
    return update;
  }

  /** One schema change: add optional column {@code name} under {@code parent}, or promote it. */
  public static final class Change {
    final String parent;
    final String name;
    final Type type;
    final boolean promotion;

    Change(String parent, String name, Type type, boolean promotion) {
      this.parent = parent;
      this.name = name;
      this.type = type;
      this.promotion = promotion;
    }

    String path() {
      return parent == null ? name : parent + "." + name;
    }

    @Override
    public String toString() {
      return (promotion ? "promote " : "add optional ") + path() + " " + type;
    }
  }
}
