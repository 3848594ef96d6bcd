package io.beamline.runners.realtime.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.internal.checkpoint.UnboundedSplitLog;
import io.beamline.sdk.io.AwaitingReader;
import io.beamline.sdk.io.OffsetRangeReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource.CheckpointMark;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The sub-sources of an unbounded source that one source task reads, each with a long-lived reader,
 * read round-robin (a reader keeps the turn while it has records). At a checkpoint barrier each
 * split's position is taken ({@link #checkpoint}): the reader's checkpoint mark, encoded, with the
 * mark of the barrier before, the records read between them, the watermark and idleness — one
 * {@link UnboundedSplitLog} entry, the same as MicroBatchRunner logs per epoch, so either runner
 * resumes the other's offsets ({@link #resumed}). A mark is finalized once its checkpoint is
 * committed ({@link #committed}; Beam's {@code CheckpointMark.finalizeCheckpoint}).
 *
 * <p>A reader whose watermark is +∞ is finished (Beam's convention for an unbounded source that
 * ends). Watermarks never go back: a resumed split starts at its logged watermark at least.
 *
 * <p>Threading: confined to its source task.
 */
final class UnboundedSplits implements SourceTask.SourceReader {
  /** How often an idle reader's checkpoint mark is taken (a Kafka reader refreshes idleness then). */
  private static final long MARK_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final Coder<CheckpointMark> markCoder;
  private final List<Split> splits = new ArrayList<>();
  /** Marks of checkpoints not yet committed, by epoch, to finalize once they are. */
  private final TreeMap<Long, List<CheckpointMark>> toFinalize = new TreeMap<>();
  private int current = -1;
  private int cursor;
  private int live;
  /** Reading a logged epoch again, exactly up to its logged end ({@link #replaying}). */
  private boolean replaying;

  /** One sub-source and its reader. */
  private static final class Split {
    final UnboundedSource<Object, CheckpointMark> source;
    final UnboundedSource.UnboundedReader<Object> reader;
    /** The sub-source, serialized once at the first checkpoint. */
    @Nullable String serialized;
    /** The mark of the last checkpoint (null: from the beginning). */
    byte @Nullable [] lastMark;
    long records;
    Instant watermarkFloor;
    boolean started;
    boolean finished;
    long lastMarkNanos;
    /** During a replay: records to read for a reader without offset ranges (else -1). */
    long replayRecords = -1;
    /** During a replay: the logged watermark, which the split's may not pass (else null). */
    @Nullable Instant replayWatermark;

    Split(
        UnboundedSource<Object, CheckpointMark> source,
        UnboundedSource.UnboundedReader<Object> reader,
        byte @Nullable [] lastMark,
        Instant watermarkFloor) {
      this.source = source;
      this.reader = reader;
      this.lastMark = lastMark;
      this.watermarkFloor = watermarkFloor;
    }

    Instant watermark() {
      Instant watermark = reader.getWatermark();
      watermark = watermark.isAfter(watermarkFloor) ? watermark : watermarkFloor;
      return replayWatermark != null && watermark.isAfter(replayWatermark)
          ? replayWatermark
          : watermark;
    }

    /** True during a replay once the split has read all it read the first time. */
    boolean replayed() {
      return reader instanceof OffsetRangeReader ranges
          ? ranges.reachedLimit()
          : records >= replayRecords;
    }
  }

  /** @param source any of the splits (they share the mark coder), or null if there are none */
  @SuppressWarnings("unchecked")
  private UnboundedSplits(@Nullable UnboundedSource<?, ?> source) {
    this.markCoder =
        source == null ? null : (Coder<CheckpointMark>) source.getCheckpointMarkCoder();
  }

  /**
   * Readers of {@code splits} from their beginning. A reader of offset ranges takes a mark at once,
   * so the first checkpoint logs where it resolved its start ("latest" now), not "the beginning".
   *
   * @throws IOException if a reader cannot be created
   */
  @SuppressWarnings("unchecked")
  static UnboundedSplits fresh(List<UnboundedSource<?, ?>> splits, PipelineOptions options)
      throws IOException {
    UnboundedSplits reading = new UnboundedSplits(splits.isEmpty() ? null : splits.get(0));
    for (UnboundedSource<?, ?> split : splits) {
      UnboundedSource<Object, CheckpointMark> sub = (UnboundedSource<Object, CheckpointMark>) split;
      UnboundedSource.UnboundedReader<Object> reader = sub.createReader(options, null);
      byte[] start =
          reader instanceof OffsetRangeReader
              ? CoderUtils.encodeToByteArray(reading.markCoder, reader.getCheckpointMark())
              : null;
      reading.add(new Split(sub, reader, start, BoundedWindow.TIMESTAMP_MIN_VALUE));
    }
    return reading;
  }

  /**
   * Readers of logged splits ({@link UnboundedSplitLog} entries of {@code offsets/C}), each at its
   * logged end mark and watermark: the run resumes right after checkpoint C.
   *
   * @throws IOException if a logged sub-source or mark does not decode
   */
  static UnboundedSplits resumed(List<JsonNode> entries, String stepName, PipelineOptions options)
      throws IOException {
    return logged(entries, stepName, options, false);
  }

  /**
   * Readers that read a logged but uncommitted epoch again ({@code offsets/C+1} without {@code
   * commits/C+1}), exactly: each from its logged {@code start} mark up to its logged {@code end}
   * positions ({@link OffsetRangeReader#limitTo}; the interleaving of partitions may differ) or,
   * for other readers, the logged number of records; watermarks at most the logged ones. Once
   * {@link #replayDone()}, the checkpoint of the epoch is taken and {@link #endReplay()} lifts the
   * limits.
   *
   * @throws IOException if a logged sub-source or mark does not decode
   */
  static UnboundedSplits replaying(List<JsonNode> entries, String stepName, PipelineOptions options)
      throws IOException {
    return logged(entries, stepName, options, true);
  }

  /** Readers of logged splits: after them ({@code end} marks), or again over them ({@code replay}). */
  private static UnboundedSplits logged(
      List<JsonNode> entries, String stepName, PipelineOptions options, boolean replay)
      throws IOException {
    UnboundedSplits reading = null;
    for (JsonNode entry : entries) {
      UnboundedSource<Object, CheckpointMark> sub = UnboundedSplitLog.subSource(entry, stepName);
      if (reading == null) {
        reading = new UnboundedSplits(sub);
      }
      byte[] end = UnboundedSplitLog.mark(entry, "end");
      byte[] from = replay ? UnboundedSplitLog.mark(entry, "start") : end;
      UnboundedSource.UnboundedReader<Object> reader =
          sub.createReader(options, UnboundedSplitLog.decode(reading.markCoder, from));
      Instant watermark = UnboundedSplitLog.watermark(entry);
      Split split =
          new Split(sub, reader, from, replay ? BoundedWindow.TIMESTAMP_MIN_VALUE : watermark);
      if (replay) {
        if (reader instanceof OffsetRangeReader ranges && end != null) {
          ranges.limitTo(UnboundedSplitLog.decode(reading.markCoder, end));
        } else {
          split.replayRecords = entry.path("records").asLong();
        }
        split.replayWatermark = watermark;
      }
      reading.add(split);
    }
    if (reading == null) {
      return new UnboundedSplits(null);
    }
    reading.replaying = replay;
    return reading;
  }

  @Override
  public boolean replaying() {
    return replaying;
  }

  /** During a replay: true once every split has read what it read the first time. */
  @Override
  public boolean replayDone() {
    for (Split split : splits) {
      if (!split.finished && !split.replayed()) {
        return false;
      }
    }
    return true;
  }

  /** The replayed epoch's checkpoint is taken: reading goes on past the logged end. */
  @Override
  public void endReplay() {
    replaying = false;
    for (Split split : splits) {
      if (split.reader instanceof OffsetRangeReader ranges) {
        ranges.limitTo(null);
      }
      split.replayRecords = -1;
      split.replayWatermark = null;
    }
  }

  private void add(Split split) {
    splits.add(split);
    live++;
  }

  @Override
  public boolean next() throws IOException {
    for (int i = 0; i < splits.size() && live > 0; i++) {
      int r = cursor;
      cursor = (cursor + 1) % splits.size();
      Split split = splits.get(r);
      if (split.finished || (replaying && split.replayed())) {
        continue;
      }
      boolean available = split.started ? split.reader.advance() : split.reader.start();
      split.started = true;
      if (available) {
        split.records++;
        current = r;
        cursor = r; // keep reading the same reader while it has records
        return true;
      }
      long now = System.nanoTime();
      if (now - split.lastMarkNanos >= MARK_EVERY_NANOS) {
        split.lastMarkNanos = now;
        split.reader.getCheckpointMark(); // refreshes idleness; finalized only at checkpoints
      }
      if (!split.reader.getWatermark().isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        split.finished = true;
        live--;
      }
    }
    return false;
  }

  @Override
  public WindowedValue<?> current() {
    UnboundedSource.UnboundedReader<Object> reader = splits.get(current).reader;
    return WindowedValues.timestampedValueInGlobalWindow(
        reader.getCurrent(), reader.getCurrentTimestamp());
  }

  /**
   * The minimum watermark of the live readers, leaving out idle ones ({@link
   * OffsetRangeReader#isIdle}) unless all are; +∞ once every reader finished.
   */
  @Override
  public Instant watermark() {
    if (live == 0) {
      return BoundedWindow.TIMESTAMP_MAX_VALUE;
    }
    Instant min = BoundedWindow.TIMESTAMP_MAX_VALUE;
    Instant idleMax = BoundedWindow.TIMESTAMP_MIN_VALUE;
    boolean anyActive = false;
    for (Split split : splits) {
      if (split.finished) {
        continue;
      }
      Instant watermark = split.watermark();
      if (split.reader instanceof OffsetRangeReader ranges && ranges.isIdle()) {
        idleMax = watermark.isAfter(idleMax) ? watermark : idleMax;
      } else {
        anyActive = true;
        min = watermark.isBefore(min) ? watermark : min;
      }
    }
    return anyActive ? min : idleMax;
  }

  /** Waits in the one live reader if it is an {@link AwaitingReader}; several are polled. */
  @Override
  public boolean awaitInput(long millis) throws IOException {
    if (live != 1) {
      return false;
    }
    for (Split split : splits) {
      if (!split.finished && split.started && split.reader instanceof AwaitingReader awaiting) {
        awaiting.awaitRecords(millis);
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean finished() {
    return live == 0;
  }

  /**
   * Every split's position at checkpoint {@code epoch}, in split order: its {@link
   * UnboundedSplitLog} entry from the last checkpoint's mark to the reader's mark now. The marks
   * are kept to be finalized when the checkpoint is committed.
   *
   * @throws IOException if a mark does not encode
   */
  @Override
  public List<ObjectNode> checkpoint(long epoch) throws IOException {
    List<ObjectNode> entries = new ArrayList<>(splits.size());
    List<CheckpointMark> marks = new ArrayList<>(splits.size());
    for (Split split : splits) {
      CheckpointMark mark = split.reader.getCheckpointMark();
      marks.add(mark);
      byte[] end = CoderUtils.encodeToByteArray(markCoder, mark);
      if (split.serialized == null) {
        split.serialized = UnboundedSplitLog.serialize(split.source);
      }
      Instant watermark = split.watermark();
      split.watermarkFloor = watermark;
      OffsetRangeReader ranges = split.reader instanceof OffsetRangeReader r ? r : null;
      entries.add(
          UnboundedSplitLog.entry(
              split.serialized,
              split.lastMark,
              split.records,
              end,
              watermark,
              ranges,
              ranges != null && ranges.isIdle(),
              markCoder));
      split.lastMark = end;
      split.records = 0;
    }
    toFinalize.put(epoch, marks);
    return entries;
  }

  /**
   * Checkpoint {@code epoch} is committed: finalizes its marks and those of earlier checkpoints.
   *
   * @throws IOException if a mark fails to finalize
   */
  @Override
  public void committed(long epoch) throws IOException {
    Iterator<Map.Entry<Long, List<CheckpointMark>>> due =
        toFinalize.headMap(epoch, true).entrySet().iterator();
    while (due.hasNext()) {
      for (CheckpointMark mark : due.next().getValue()) {
        mark.finalizeCheckpoint();
      }
      due.remove();
    }
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (Split split : splits) {
      try {
        split.reader.close();
      } catch (IOException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
