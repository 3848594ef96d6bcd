package io.beamline.sdk.internal.operators;

import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * Gives every {@link Row} output to a PCollection of rows the PCollection's schema.
 *
 * <p>A DoFn may output a row whose schema is not its PCollection's: Beam's {@code
 * Select.fieldNames(...).withOutputSchema(s)} outputs rows of its internal selection schema (field
 * names are random UUIDs) into a PCollection whose {@code RowCoder} has schema {@code s}. Beam
 * relies on the coder to fix that: DirectRunner clones every element through its PCollection's
 * coder ({@code CloningBundleFactory}), Flink copies records between chained operators with the
 * coder. Passing the object by reference, as a fused stage does, leaves the consumer a row that is
 * not {@code equals} to one of the PCollection's schema and whose fields it cannot read by their
 * names. This clones such a row through the PCollection's coder; rows that already have the schema
 * (the same object, or an equal one: UUIDs compared first) pass untouched.
 */
final class SchemaRows {
  private SchemaRows() {}

  /** {@code target} behind a check of each row's schema if {@code pc} holds rows, else itself. */
  @SuppressWarnings("unchecked")
  static Operator.Receiver normalizing(PCollection<?> pc, Operator.Receiver target) {
    if (!(pc.getCoder() instanceof SchemaCoder<?> schemaCoder)
        || !Row.class.equals(schemaCoder.getEncodedTypeDescriptor().getRawType())) {
      return target;
    }
    Schema schema = schemaCoder.getSchema();
    Coder<Row> coder = (Coder<Row>) schemaCoder;
    return value -> {
      if (value.getValue() instanceof Row row
          && row.getSchema() != schema
          && !schema.equals(row.getSchema())) {
        target.accept(WindowedValues.withValue(value, clone(coder, row, pc)));
      } else {
        target.accept(value);
      }
    };
  }

  private static Row clone(Coder<Row> coder, Row row, PCollection<?> pc) {
    try {
      return CoderUtils.clone(coder, row);
    } catch (CoderException e) {
      throw new IllegalStateException(
          "A row output to " + pc.getName() + " does not encode with its coder " + coder, e);
    }
  }
}
