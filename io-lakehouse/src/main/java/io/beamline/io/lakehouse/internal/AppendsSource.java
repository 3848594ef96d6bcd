package io.beamline.io.lakehouse.internal;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.RowCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.Row;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The rows appended to a table, as a Beam {@link UnboundedSource}: first every row of a starting
 * snapshot (unless the read starts after it), then the rows each later {@code append} snapshot
 * added, in commit order (snapshots of other operations — a compaction's {@code replace}, an
 * {@code overwrite}, a {@code delete} — add no rows to read and are passed over).
 *
 * <p>Position and determinism: a <i>unit</i> is the starting snapshot's scan or one appended
 * snapshot; its files are sorted by location, and split {@code k} of {@code n} reads files {@code
 * k, k+n, …} of every unit, records in file order. The checkpoint mark ({@link AppendsMark}) is
 * (snapshot id, whether it is the starting scan, file index, records already read from that file),
 * so a reader re-created from a mark reads the same records in the same order: on
 * MicroBatchRunner the mark is in {@code offsets/N}, a replayed epoch reads the same rows, and a
 * restart resumes after the last committed epoch. The starting snapshot is fixed when the source is
 * split (once per run), so all splits agree on it.
 *
 * <p>Timestamps: a row's event time is its snapshot's commit time; a reader's watermark is the
 * commit time of the unit it reads, and when it has read everything, the time of its last look
 * at the table minus 10 s (a commit becomes visible a little after the time it carries).
 */
public final class AppendsSource extends UnboundedSource<Row, AppendsMark> {
  private static final long serialVersionUID = 1L;

  /** How the read starts. */
  public enum Start {
    /** Every row of the current snapshot, then the appends after it. */
    CURRENT_SNAPSHOT,
    /** Only appends committed after the current snapshot. */
    AFTER_CURRENT_SNAPSHOT
  }

  final ReadSpec spec;
  final Start start;
  final long pollMillis;
  /** The starting snapshot fixed by {@link #split}, -1 for an empty table; null before. */
  final @Nullable Long startSnapshot;
  final int splits;
  final int split;

  public AppendsSource(ReadSpec spec, Start start, long pollMillis) {
    this(spec, start, pollMillis, null, 1, 0);
  }

  private AppendsSource(
      ReadSpec spec, Start start, long pollMillis, @Nullable Long startSnapshot, int splits, int split) {
    this.spec = spec;
    this.start = start;
    this.pollMillis = pollMillis;
    this.startSnapshot = startSnapshot;
    this.splits = splits;
    this.split = split;
  }

  @Override
  public List<AppendsSource> split(int desiredNumSplits, PipelineOptions options) {
    Long s0 = startSnapshot;
    if (s0 == null) {
      Table table = spec.load();
      Snapshot current = table.currentSnapshot();
      s0 = current == null ? -1L : current.snapshotId();
    }
    int n = Math.max(1, desiredNumSplits);
    List<AppendsSource> result = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      result.add(new AppendsSource(spec, start, pollMillis, s0, n, k));
    }
    return result;
  }

  /** Where a reader without a checkpoint mark starts. */
  AppendsMark initialMark() {
    long s0 = startSnapshot == null ? -1 : startSnapshot;
    if (s0 < 0) {
      return new AppendsMark(-1, false, Integer.MAX_VALUE, 0); // nothing yet: the first append next
    }
    return start == Start.CURRENT_SNAPSHOT
        ? new AppendsMark(s0, true, split, 0)
        : new AppendsMark(s0, false, Integer.MAX_VALUE, 0);
  }

  @Override
  public UnboundedReader<Row> createReader(PipelineOptions options, @Nullable AppendsMark mark) {
    if (startSnapshot == null) {
      throw new IllegalStateException("read an unsplit AppendsSource: split() fixes the start");
    }
    return new AppendsReader(this, mark == null ? initialMark() : mark);
  }

  @Override
  public Coder<AppendsMark> getCheckpointMarkCoder() {
    return SerializableCoder.of(AppendsMark.class);
  }

  @Override
  public Coder<Row> getOutputCoder() {
    return RowCoder.of(spec.beamSchema());
  }

  @Override
  public boolean requiresDeduping() {
    return false;
  }
}
