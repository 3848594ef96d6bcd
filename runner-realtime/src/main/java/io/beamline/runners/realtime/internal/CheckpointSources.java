package io.beamline.runners.realtime.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.SourceSpec;
import io.beamline.sdk.internal.plan.Stage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What the source tasks of a real-time run read in the checkpoint in flight: per source task its
 * ack of the barrier (records emitted so far, its splits' {@code UnboundedSplitLog} entries), and
 * from that the {@code sources} part of {@code offsets/N} ({@link #offsets}). Source tasks that
 * ended stand in for themselves at every later checkpoint ({@link #ended}).
 *
 * <p>Threading: not thread-safe; guarded by its {@link CheckpointCoordinator}'s lock.
 */
final class CheckpointSources {
  /**
   * A source task whose input ended: the records it emitted in all and the positions its splits
   * ended at. The first checkpoint after its end logs what it read since the last; later ones log
   * that nothing was read.
   */
  private static final class Ended {
    final long records;
    private @Nullable List<ObjectNode> positions;

    Ended(long records, @Nullable List<ObjectNode> positions) {
      this.records = records;
      this.positions = positions;
    }

    @Nullable List<ObjectNode> takePositions() {
      List<ObjectNode> now = positions;
      if (now != null) {
        List<ObjectNode> settled = new ArrayList<>();
        for (ObjectNode entry : now) {
          ObjectNode next = entry.deepCopy();
          next.set("start", entry.get("end"));
          next.put("records", 0);
          settled.add(next);
        }
        positions = settled;
      }
      return now;
    }
  }

  private final ExecutablePlan plan;
  private final int parallelism;
  private final int tasks;
  private final Map<Stage, Ended[]> ended = new HashMap<>();
  /** Per bounded read or Impulse: the epoch of the first checkpoint after it ended. */
  private final Map<Stage, Long> readInEpoch = new HashMap<>();
  private final Map<Stage, boolean[]> acks = new HashMap<>();
  private final Map<Integer, Long> records = new LinkedHashMap<>();
  private final Map<Stage, List<ObjectNode>[]> positions = new HashMap<>();
  private int acked;

  CheckpointSources(ExecutablePlan plan, int parallelism) {
    this.plan = plan;
    this.parallelism = parallelism;
    int sources = 0;
    for (Stage stage : plan.stages()) {
      sources += stage.source() == null ? 0 : parallelism;
    }
    this.tasks = sources;
  }

  /** A new checkpoint is in flight: ended source tasks take it at once. */
  void begin() {
    acks.clear();
    records.clear();
    positions.clear();
    acked = 0;
    for (Map.Entry<Stage, Ended[]> e : ended.entrySet()) {
      for (int p = 0; p < parallelism; p++) {
        Ended last = e.getValue()[p];
        if (last != null) {
          ack(e.getKey(), p, last.records, last.takePositions());
        }
      }
    }
  }

  /** Whether task ({@code stage}, {@code partition}) took the checkpoint in flight. */
  boolean acked(Stage stage, int partition) {
    boolean[] mine = acks.get(stage);
    return mine != null && mine[partition];
  }

  /** Whether every source task took the checkpoint in flight. */
  boolean allAcked() {
    return acked == tasks;
  }

  /**
   * Source task ({@code stage}, {@code partition}) took the checkpoint in flight.
   *
   * @param emitted records it emitted so far
   * @param splits its splits' entries, or null for a bounded read or Impulse
   * @throws IllegalStateException if it took it already
   */
  @SuppressWarnings("unchecked")
  void ack(Stage stage, int partition, long emitted, @Nullable List<ObjectNode> splits) {
    boolean[] mine = acks.computeIfAbsent(stage, s -> new boolean[parallelism]);
    if (mine[partition]) {
      throw new IllegalStateException(
          "Source task " + partition + " of " + stage + " took the checkpoint twice");
    }
    mine[partition] = true;
    acked++;
    records.merge(stage.id(), emitted, Long::sum);
    if (splits != null) {
      positions.computeIfAbsent(stage, s -> new List[parallelism])[partition] = splits;
    }
  }

  /**
   * Source task ({@code stage}, {@code partition}) read all it will; it takes the checkpoint in
   * flight ({@code pending}, -1 for none) now unless it did, and every later one at once.
   *
   * @param next the epoch of the next checkpoint if none is in flight
   */
  void ended(
      Stage stage,
      int partition,
      long emitted,
      @Nullable List<ObjectNode> splits,
      long pending,
      long next) {
    Ended last = new Ended(emitted, splits);
    ended.computeIfAbsent(stage, s -> new Ended[parallelism])[partition] = last;
    boolean takesPending = pending >= 0 && !acked(stage, partition);
    readInEpoch.putIfAbsent(stage, takesPending ? pending : next);
    if (takesPending) {
      ack(stage, partition, last.records, last.takePositions());
    }
  }

  /** Per source stage (by id), the records its tasks emitted before the barrier in flight. */
  Map<Integer, Long> records() {
    return new LinkedHashMap<>(records);
  }

  /**
   * What {@code offsets/N} logs per source stage for checkpoint {@code epoch}: an unbounded read's
   * splits in split order (task p reads splits p, p + P, …: {@code RealtimeEngine.share}); a bounded
   * read's or Impulse's {@code readInEpoch}.
   */
  ObjectNode offsets(long epoch) {
    ObjectNode sources = JsonNodeFactory.instance.objectNode();
    for (Stage stage : plan.stages()) {
      if (stage.source() == null) {
        continue;
      }
      ObjectNode source = sources.putObject(Integer.toString(stage.id()));
      if (stage.source() instanceof SourceSpec.UnboundedRead) {
        source.put("kind", "unbounded");
        source.put("source", stage.source().stepName());
        ArrayNode splits = source.putArray("splits");
        List<ObjectNode>[] byTask = positions.get(stage);
        for (int k = 0; byTask != null; k++) {
          boolean any = false;
          for (int p = 0; p < parallelism; p++) {
            List<ObjectNode> mine = byTask[p];
            if (mine != null && k < mine.size()) {
              splits.add(mine.get(k));
              any = true;
            }
          }
          if (!any) {
            break;
          }
        }
      } else {
        source.put("kind", "once");
        source.put("readInEpoch", readInEpoch.getOrDefault(stage, -1L) == epoch);
      }
    }
    return sources;
  }
}
