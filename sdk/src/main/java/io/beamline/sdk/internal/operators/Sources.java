package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.plan.SourceSpec;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * Reading the splits of a source stage in a task, for every engine: Impulse and bounded reads are
 * split here and each split read whole; unbounded reads and TestStreams are planned by the engine,
 * whose splits are the lists of elements (or {@code TimestampedValue}s of a TestStream event) to
 * emit.
 */
public final class Sources {
  /** Rows between two reports to {@link SourceProgress}. */
  static final int REPORT_EVERY = 1024;

  private Sources() {}

  /**
   * Cuts a bounded source into about {@code desiredSplits} bundles of equal estimated size (Impulse:
   * one split).
   *
   * @throws IllegalArgumentException for a source the engine plans itself (unbounded, TestStream)
   * @throws Exception if the source cannot be split or sized
   */
  public static List<?> split(SourceSpec source, PipelineOptions options, int desiredSplits)
      throws Exception {
    return split(source, options, desiredSplits, SourceProgress.NONE);
  }

  /** As {@link #split(SourceSpec, PipelineOptions, int)}, reporting the estimated size. */
  public static List<?> split(
      SourceSpec source, PipelineOptions options, int desiredSplits, SourceProgress progress)
      throws Exception {
    if (source instanceof SourceSpec.Impulse impulse) {
      return List.of(impulse.stepName());
    }
    if (source instanceof SourceSpec.BoundedRead read) {
      long estimatedBytes = read.source().getEstimatedSizeBytes(options);
      progress.estimatedBytes(estimatedBytes);
      long desiredBundleBytes = Math.max(1L, estimatedBytes / Math.max(1, desiredSplits));
      List<? extends BoundedSource<?>> splits = read.source().split(desiredBundleBytes, options);
      return splits.isEmpty() ? List.of(read.source()) : new ArrayList<>(splits);
    }
    throw new IllegalArgumentException(source.stepName() + " is planned by the engine, not split");
  }

  /** Reads one split in a task, emitting every element to {@code output}. */
  public static void read(
      SourceSpec source, Object split, TaskContext context, Operator.Receiver output)
      throws Exception {
    if (source instanceof SourceSpec.Impulse) {
      output.accept(WindowedValues.valueInGlobalWindow(new byte[0]));
    } else if (source instanceof SourceSpec.BoundedRead) {
      readBounded((BoundedSource<?>) split, source.stepName(), context, output);
    } else {
      for (Object element : (List<?>) split) {
        output.accept(
            element instanceof TimestampedValue<?> value
                ? WindowedValues.timestampedValueInGlobalWindow(
                    value.getValue(), value.getTimestamp())
                : (WindowedValue<?>) element);
      }
    }
  }

  /**
   * Reads one bundle of a bounded source, reporting rows and the bytes they make up of the bundle's
   * estimated size (from the reader's fraction consumed) every {@value #REPORT_EVERY} rows.
   */
  private static void readBounded(
      BoundedSource<?> bundle, String stepName, TaskContext context, Operator.Receiver output)
      throws Exception {
    SourceProgress progress = context.sourceProgress();
    long size = progress == SourceProgress.NONE ? -1 : bundle.getEstimatedSizeBytes(context.options());
    long rows = 0;
    long reportedBytes = 0;
    try (var scope = context.scopedMetrics(stepName);
        BoundedSource.BoundedReader<?> reader = bundle.createReader(context.options())) {
      for (boolean more = reader.start(); more; more = reader.advance()) {
        output.accept(
            WindowedValues.timestampedValueInGlobalWindow(
                reader.getCurrent(), reader.getCurrentTimestamp()));
        if (++rows == REPORT_EVERY) {
          Double fraction = reader.getFractionConsumed();
          long bytes =
              size > 0 && fraction != null ? (long) (fraction * size) - reportedBytes : 0;
          progress.read(rows, Math.max(0, bytes));
          reportedBytes += Math.max(0, bytes);
          rows = 0;
        }
      }
    }
    progress.read(rows, size > 0 ? Math.max(0, size - reportedBytes) : 0);
  }
}
