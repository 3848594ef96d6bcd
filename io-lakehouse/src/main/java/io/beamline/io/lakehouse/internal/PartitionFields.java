package io.beamline.io.lakehouse.internal;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;

/**
 * Parses partition fields written as Iceberg's transforms, the way Spark's {@code PARTITIONED BY}
 * writes them: {@code identity(origin)} (or just {@code origin}), {@code year(ts)}, {@code
 * month(ts)}, {@code day(ts)}, {@code hour(ts)}, {@code bucket(16, id)}, {@code truncate(4, name)}.
 */
public final class PartitionFields {
  private static final Pattern TRANSFORM =
      Pattern.compile("\\s*(\\w+)\\s*\\(\\s*(?:(\\d+)\\s*,\\s*)?([\\w.]+)\\s*\\)\\s*");
  private static final Pattern BARE = Pattern.compile("\\s*([\\w.]+)\\s*");

  private PartitionFields() {}

  /**
   * The partition spec of {@code fields} over {@code schema}; unpartitioned if empty.
   *
   * @throws IllegalArgumentException naming the field that is malformed, names no column, or
   *     whose transform does not apply to the column's type
   */
  public static PartitionSpec toSpec(List<String> fields, Schema schema) {
    for (String field : fields) {
      // each field alone first, so that a transform that does not fit its column's type (checked
      // only when the spec is built) is reported with the field that caused it
      try {
        add(PartitionSpec.builderFor(schema), field, schema).build();
      } catch (org.apache.iceberg.exceptions.ValidationException e) {
        throw new IllegalArgumentException("partition field '" + field + "': " + e.getMessage(), e);
      }
    }
    PartitionSpec.Builder b = PartitionSpec.builderFor(schema);
    for (String field : fields) {
      add(b, field, schema);
    }
    return b.build();
  }

  private static PartitionSpec.Builder add(PartitionSpec.Builder b, String field, Schema schema) {
    String transform;
    String column;
    Integer width = null;
    Matcher m = TRANSFORM.matcher(field);
    if (m.matches()) {
      transform = m.group(1).toLowerCase(java.util.Locale.ROOT);
      width = m.group(2) == null ? null : Integer.valueOf(m.group(2));
      column = m.group(3);
    } else if (BARE.matcher(field).matches()) {
      transform = "identity";
      column = field.trim();
    } else {
      throw new IllegalArgumentException(
          "partition field '" + field + "' is malformed; write e.g. day(ts), identity(origin),"
              + " bucket(16, id)");
    }
    if (schema.findField(column) == null) {
      throw new IllegalArgumentException(
          "partition field '" + field + "' names no column of the schema "
              + schema.asStruct().fields().stream().map(f -> f.name()).toList());
    }
    try {
      switch (transform) {
        case "identity" -> b.identity(column);
        case "year", "years" -> b.year(column);
        case "month", "months" -> b.month(column);
        case "day", "days" -> b.day(column);
        case "hour", "hours" -> b.hour(column);
        case "bucket" -> b.bucket(column, requireWidth(field, width));
        case "truncate" -> b.truncate(column, requireWidth(field, width));
        default -> throw new IllegalArgumentException(
            "partition field '" + field + "': unknown transform '" + transform
                + "' (identity, year, month, day, hour, bucket, truncate)");
      }
    } catch (org.apache.iceberg.exceptions.ValidationException e) {
      throw new IllegalArgumentException("partition field '" + field + "': " + e.getMessage(), e);
    }
    return b;
  }

  private static int requireWidth(String field, Integer width) {
    if (width == null) {
      throw new IllegalArgumentException(
          "partition field '" + field + "' needs a width, e.g. bucket(16, id)");
    }
    return width;
  }
}
