package io.beamline.sdk.internal.execution;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;

/** The roots of source stages: Impulse, bounded and unbounded Read, TestStream. */
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
   * An {@link UnboundedSource}, read only by the epoch loop ({@link UnboundedEpochSource}): each
   * split of an epoch is the list of records one reader read for it.
   */
  public static SourceSpec unbounded(String stepName, UnboundedSource<?, ?> source) {
    return new SourceSpec() {
      @Override
      public String stepName() {
        return stepName;
      }

      @Override
      public List<?> split(PipelineOptions options, int desiredSplits) {
        throw new IllegalStateException(stepName + ": an unbounded source is read by epochs");
      }

      @Override
      public void read(Object split, TaskContext context, Operator.Receiver output) {
        for (Object element : (List<?>) split) {
          output.accept((WindowedValue<?>) element);
        }
      }

      @Override
      public EpochSource forEpochs(PlanExecutor executor) {
        return new UnboundedEpochSource(stepName, source);
      }

      @Override
      public boolean isUnbounded() {
        return true;
      }
    };
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
