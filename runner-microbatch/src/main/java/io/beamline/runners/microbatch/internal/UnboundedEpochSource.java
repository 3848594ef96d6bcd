package io.beamline.runners.microbatch.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.beamline.sdk.internal.checkpoint.UnboundedSplitLog;
import io.beamline.sdk.io.OffsetRangeReader;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource.CheckpointMark;
import org.apache.beam.sdk.io.UnboundedSource.UnboundedReader;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * A Beam {@link UnboundedSource} read as epochs. The source is split once into about {@code
 * parallelism} sub-sources, each read by one long-lived {@link UnboundedReader}. Planning an epoch
 * reads, round-robin over the readers on the driver thread, what is available up to the epoch's
 * record budget, waiting for input until the epoch's deadline; each reader's records become one
 * split of the epoch. Its offsets are, per reader, the checkpoint mark it started from (encoded
 * with the source's checkpoint-mark coder), the number of records read and the mark and watermark
 * it ended at — so a replay re-creates the reader from the start mark and reads exactly as many
 * records, and a restart resumes from the end marks. Marks are finalized once their epoch is
 * committed ({@code CheckpointMark.finalizeCheckpoint}, which is how KafkaIO commits offsets).
 *
 * <p>A reader whose watermark reaches +∞ is finished (Beam's convention for an unbounded source
 * that ends); the source is exhausted when all are.
 */
final class UnboundedEpochSource implements EpochSource {
  private final String stepName;
  private final UnboundedSource<Object, CheckpointMark> source;
  private final Coder<CheckpointMark> markCoder;
  private List<Split> splits;
  private long lastEpochRecords;
  private boolean caughtUp;

  /** One sub-source and its reader, kept across epochs. */
  private final class Split {
    final UnboundedSource<Object, CheckpointMark> source;
    /** The sub-source, Java-serialized and Base64-encoded once, for every epoch's offsets. */
    final String serializedSource;
    @Nullable UnboundedReader<Object> reader;
    boolean started;
    boolean finished;
    byte @Nullable [] startMark; // null: from the beginning
    byte @Nullable [] endMark;
    @Nullable CheckpointMark toFinalize;
    long records;
    Instant watermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
    /** The reader had nothing to read at the end of the epoch ({@link OffsetRangeReader#isIdle}). */
    boolean idle;
    List<WindowedValue<?>> buffer = new ArrayList<>();

    Split(UnboundedSource<Object, CheckpointMark> source) {
      this.source = source;
      this.serializedSource = UnboundedSplitLog.serialize(source);
    }

    void open(EpochRequest request, byte @Nullable [] mark) throws IOException {
      if (reader != null) {
        reader.close();
      }
      reader = source.createReader(request.options(), UnboundedSplitLog.decode(markCoder, mark));
      started = false;
      endMark = mark;
      if (mark == null && reader instanceof OffsetRangeReader) {
        // Log the resolved start positions ("latest" now), not "from the beginning".
        endMark = CoderUtils.encodeToByteArray(markCoder, reader.getCheckpointMark());
      }
    }

    @Nullable OffsetRangeReader ranges() {
      return reader instanceof OffsetRangeReader r ? r : null;
    }

    /** Reads one record if one is available now; false if none is. */
    boolean readOne() throws IOException {
      boolean available = started ? reader.advance() : reader.start();
      started = true;
      if (available) {
        buffer.add(
            WindowedValues.timestampedValueInGlobalWindow(
                reader.getCurrent(), reader.getCurrentTimestamp()));
        records++;
      }
      return available;
    }

    /** Ends the split's epoch: takes the reader's checkpoint mark and watermark. */
    void endEpoch() throws IOException {
      CheckpointMark mark = reader.getCheckpointMark();
      toFinalize = mark;
      endMark = CoderUtils.encodeToByteArray(markCoder, mark);
      // Watermarks never go back, even if a re-created reader starts lower than its predecessor.
      Instant readerWatermark = reader.getWatermark();
      watermark = readerWatermark.isAfter(watermark) ? readerWatermark : watermark;
      finished = !watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE);
      idle = ranges() != null && ranges().isIdle();
    }
  }

  @SuppressWarnings("unchecked")
  UnboundedEpochSource(String stepName, UnboundedSource<?, ?> source) {
    this.stepName = stepName;
    this.source = (UnboundedSource<Object, CheckpointMark>) source;
    this.markCoder = (Coder<CheckpointMark>) this.source.getCheckpointMarkCoder();
  }

  private void split(EpochRequest request) throws Exception {
    if (splits != null) {
      return;
    }
    splits = new ArrayList<>();
    for (UnboundedSource<Object, CheckpointMark> sub :
        source.split(Math.max(1, request.desiredSplits()), request.options())) {
      Split split = new Split(sub);
      split.open(request, null);
      splits.add(split);
    }
  }

  @Override
  public List<?> nextEpoch(EpochRequest request) throws Exception {
    split(request);
    List<Split> live = new ArrayList<>();
    for (Split split : splits) {
      split.startMark = split.endMark;
      split.records = 0;
      split.buffer = new ArrayList<>();
      if (!split.finished) {
        live.add(split);
      }
    }
    long perSplit =
        request.maxRecords() == Long.MAX_VALUE
            ? Long.MAX_VALUE
            : Math.max(1, (request.maxRecords() + live.size() - 1) / Math.max(1, live.size()));
    boolean budgetLeft;
    while (true) {
      budgetLeft = false;
      for (Split split : live) {
        while (split.records < perSplit && split.readOne()) {}
        budgetLeft |= split.records < perSplit;
      }
      if (!budgetLeft || !request.waitForData() || System.nanoTime() >= request.deadlineNanos()) {
        break;
      }
      if (allFinishedNow(live)) {
        break;
      }
      long remaining = request.deadlineNanos() - System.nanoTime();
      if (remaining > 0) {
        // Polling an UnboundedReader: Beam's reader API has no blocking read.
        TimeUnit.NANOSECONDS.sleep(Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(1)));
      }
    }
    List<?> read = endEpoch(live); // takes marks, watermarks and idleness
    caughtUp = allBelowBudget(live, perSplit);
    return read;
  }

  /**
   * True if every reader ran out of available input before its budget and reports no backlog; for
   * an {@link OffsetRangeReader}, if it reports itself idle (so a slow fetch or a source-side cap is
   * not mistaken for the end of the available input).
   */
  private static boolean allBelowBudget(List<Split> live, long perSplit) {
    for (Split split : live) {
      boolean done =
          split.ranges() != null
              ? split.idle
              : split.records < perSplit && !knownBacklog(split);
      if (!done) {
        return false;
      }
    }
    return true;
  }

  /**
   * True if the reader says it has input left ({@code getSplitBacklogBytes() > 0}): a reader that
   * fetches in the background returned nothing only because its fetch is still in flight.
   */
  private static boolean knownBacklog(Split split) {
    long backlog = split.reader.getSplitBacklogBytes();
    return backlog != UnboundedReader.BACKLOG_UNKNOWN && backlog > 0;
  }

  private static boolean allFinishedNow(List<UnboundedEpochSource.Split> live) {
    for (Split split : live) {
      if (split.reader.getWatermark().isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        return false;
      }
    }
    return true;
  }

  private List<?> endEpoch(List<Split> live) throws IOException {
    List<List<WindowedValue<?>>> read = new ArrayList<>();
    lastEpochRecords = 0;
    for (Split split : live) {
      split.endEpoch();
      lastEpochRecords += split.records;
      if (!split.buffer.isEmpty()) {
        read.add(split.buffer);
      }
    }
    return read;
  }

  /**
   * The minimum of the readers' watermarks, leaving out idle readers (nothing to read: an idle
   * partition does not hold the watermark back); if every reader is idle, the maximum.
   */
  @Override
  public Instant watermark() {
    if (splits == null) {
      return BoundedWindow.TIMESTAMP_MIN_VALUE;
    }
    Instant busy = BoundedWindow.TIMESTAMP_MAX_VALUE;
    Instant idle = BoundedWindow.TIMESTAMP_MIN_VALUE;
    boolean anyBusy = false;
    for (Split split : splits) {
      if (split.idle) {
        idle = split.watermark.isAfter(idle) ? split.watermark : idle;
      } else {
        anyBusy = true;
        busy = split.watermark.isBefore(busy) ? split.watermark : busy;
      }
    }
    return anyBusy ? busy : idle;
  }

  @Override
  public boolean isExhausted() {
    if (splits == null) {
      return false;
    }
    for (Split split : splits) {
      if (!split.finished) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean caughtUp() {
    return caughtUp || isExhausted();
  }

  @Override
  public long lastEpochRecords() {
    return lastEpochRecords;
  }

  /** Summed over the readers, if every one is an {@link OffsetRangeReader} that knows it. */
  @Override
  public long backlogRecords() {
    if (splits == null) {
      return -1;
    }
    long total = 0;
    for (Split split : splits) {
      long backlog = split.ranges() == null ? -1 : split.ranges().backlogRecords();
      if (backlog < 0) {
        return -1;
      }
      total += backlog;
    }
    return total;
  }

  @Override
  public long backlogBytes() {
    if (splits == null) {
      return -1;
    }
    long total = 0;
    for (Split split : splits) {
      long backlog = split.reader == null ? -1 : split.reader.getSplitBacklogBytes();
      if (backlog < 0) {
        return -1;
      }
      total += backlog;
    }
    return total;
  }

  @Override
  public ObjectNode offsets() throws IOException {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("kind", "unbounded");
    node.put("source", stepName);
    ArrayNode array = node.putArray("splits");
    for (Split split : splits) {
      array.add(
          UnboundedSplitLog.entry(
              split.serializedSource,
              split.startMark,
              split.records,
              split.endMark,
              split.watermark,
              split.ranges(),
              split.idle,
              markCoder));
    }
    return node;
  }

  @Override
  public List<?> replay(ObjectNode offsets, EpochRequest request) throws Exception {
    restoreSplits(offsets, request, "start");
    List<Split> live = new ArrayList<>();
    JsonNode logged = offsets.path("splits");
    for (int i = 0; i < splits.size(); i++) {
      Split split = splits.get(i);
      long records = logged.get(i).path("records").asLong();
      split.records = 0;
      split.buffer = new ArrayList<>();
      split.startMark = split.endMark;
      OffsetRangeReader ranges = split.ranges();
      byte[] end = UnboundedSplitLog.mark(logged.get(i), "end");
      if (ranges != null && end != null) {
        // Exactly the logged range per partition, however the partitions interleave this time.
        ranges.limitTo(UnboundedSplitLog.decode(markCoder, end));
        while (!ranges.reachedLimit()) {
          if (!split.readOne()) {
            waitForReplayedRecords();
          }
        }
      } else {
        while (split.records < records) {
          if (!split.readOne()) {
            waitForReplayedRecords();
          }
        }
      }
      live.add(split);
    }
    List<?> read = endEpoch(live);
    for (int i = 0; i < splits.size(); i++) {
      // The watermark of a replayed epoch is the logged one, not the re-created reader's.
      restoreWatermark(splits.get(i), logged.get(i));
      if (splits.get(i).ranges() != null) {
        splits.get(i).ranges().limitTo(null);
      }
    }
    return read;
  }

  private void waitForReplayedRecords() throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException("cancelled while replaying " + stepName);
    }
    TimeUnit.MILLISECONDS.sleep(1); // the logged records exist; wait for the reader
  }

  private static void restoreWatermark(Split split, JsonNode logged) {
    split.watermark = UnboundedSplitLog.watermark(logged);
    split.finished = !split.watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE);
    split.idle = UnboundedSplitLog.idle(logged);
  }

  @Override
  public void resumeAfter(ObjectNode offsets, EpochRequest request) throws Exception {
    restoreSplits(offsets, request, "end");
    JsonNode logged = offsets.path("splits");
    for (int i = 0; i < splits.size(); i++) {
      restoreWatermark(splits.get(i), logged.get(i));
    }
  }

  /** Re-creates the logged sub-sources and opens each reader at the logged {@code which} mark. */
  private void restoreSplits(ObjectNode offsets, EpochRequest request, String which)
      throws IOException {
    if (splits != null) {
      for (Split split : splits) {
        split.reader.close();
      }
    }
    splits = new ArrayList<>();
    for (JsonNode logged : offsets.path("splits")) {
      Split split = new Split(UnboundedSplitLog.subSource(logged, stepName));
      split.open(request, UnboundedSplitLog.mark(logged, which));
      splits.add(split);
    }
  }

  @Override
  public void committed() throws Exception {
    for (Split split : splits) {
      if (split.toFinalize != null) {
        split.toFinalize.finalizeCheckpoint();
        split.toFinalize = null;
      }
    }
  }

  /** Closes every reader, also when some fail to close; throws the first failure. */
  @Override
  public void close() throws Exception {
    if (splits == null) {
      return;
    }
    Exception failure = null;
    for (Split split : splits) {
      try {
        if (split.reader != null) {
          split.reader.close();
        }
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
