package io.beamline.sdk.internal.execution;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.WindowedValues;

/** The roots of source stages: Impulse and bounded Read. */
public final class Sources {
  private Sources() {}

  /** Impulse: a single empty byte array in the global window, read by one task. */
  public static SourceSpec impulse(String stepName) {
    return new SourceSpec() {
      @Override
      public String stepName() {
        return stepName;
      }

      @Override
      public List<?> split(PipelineOptions options, int desiredSplits) {
        return List.of(stepName);
      }

      @Override
      public void read(Object split, TaskContext context, Operator.Receiver output) {
        output.accept(WindowedValues.valueInGlobalWindow(new byte[0]));
      }
    };
  }

  /**
   * A {@link TestStream}: one event per epoch. Element events are read as one split, watermark
   * events move the source's watermark, processing-time events advance the run's synthetic clock.
   */
  public static SourceSpec testStream(String stepName, TestStream<?> testStream) {
    return new TestStreamSource(stepName, testStream);
  }

  /**
   * A bounded source, split by {@link BoundedSource#split} into about {@code desiredSplits} bundles
   * of equal estimated size; each task reads its bundles with the source's own reader.
   */
  public static SourceSpec bounded(String stepName, BoundedSource<?> source) {
    return new SourceSpec() {
      @Override
      public String stepName() {
        return stepName;
      }

      @Override
      public List<?> split(PipelineOptions options, int desiredSplits) throws Exception {
        long estimatedBytes = source.getEstimatedSizeBytes(options);
        long desiredBundleBytes = Math.max(1L, estimatedBytes / Math.max(1, desiredSplits));
        List<? extends BoundedSource<?>> splits = source.split(desiredBundleBytes, options);
        return splits.isEmpty() ? List.of(source) : new ArrayList<>(splits);
      }

      @Override
      public void read(Object split, TaskContext context, Operator.Receiver output)
          throws Exception {
        BoundedSource<?> bundle = (BoundedSource<?>) split;
        try (var scope = context.scopedMetrics(stepName);
            BoundedSource.BoundedReader<?> reader = bundle.createReader(context.options())) {
          for (boolean more = reader.start(); more; more = reader.advance()) {
            output.accept(
                WindowedValues.timestampedValueInGlobalWindow(
                    reader.getCurrent(), reader.getCurrentTimestamp()));
          }
        }
      }
    };
  }
}
