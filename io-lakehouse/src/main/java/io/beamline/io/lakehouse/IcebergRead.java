package io.beamline.io.lakehouse;

import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/** Placeholder, replaced in the next step. */
public final class IcebergRead extends PTransform<PBegin, PCollection<Row>> {
  static IcebergRead defaults() {
    return new IcebergRead();
  }

  @Override
  public PCollection<Row> expand(PBegin input) {
    throw new UnsupportedOperationException();
  }
}
