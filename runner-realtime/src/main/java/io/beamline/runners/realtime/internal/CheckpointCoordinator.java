package io.beamline.runners.realtime.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.SourceSpec;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.state.StateSnapshots;
import io.beamline.sdk.internal.state.StateSnapshots.PartitionImage;
import io.beamline.sdk.testing.CrashPoint;
import io.beamline.sdk.testing.CrashPoints;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the checkpoints of a real-time run: every {@code interval}, once the last checkpoint is
 * complete, it injects {@link Channel.Barrier} N into every source task; the barrier flows in-band
 * behind the records before it, each task snapshots at it ({@link TaskThread#atBarrier}) and acks
 * here with its {@link PartitionImage}; once every task has acked, the images are put together
 * ({@link StateSnapshots#assemble}: the bytes MicroBatchRunner's snapshot of the same state would
 * have) and handed to the {@link Listener}. Records of epoch N+1 flow meanwhile: no task stops but to
 * align its inputs and to encode its image.
 *
 * <p>One checkpoint is in flight at a time, so the interval is a minimum: barrier N+1 is injected only
 * after checkpoint N is complete. A task whose input ended (a bounded read, a stage below only
 * ended inputs) acks no barrier after its end: it registers once ({@link #finished}), and every later
 * checkpoint takes its image from its final state (Flink's FLIP-147).
 *
 * <p>Threading: {@link #run} on the coordinator's own thread ({@code beamline-rt-checkpoint}); {@link
 * #ack} and {@link #finished} from task threads; all shared fields are guarded by {@code this}.
 */
final class CheckpointCoordinator implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointCoordinator.class);

  /** What the run does with its checkpoints (MicroBatchRunner's checkpoint files, or a test's list). */
  interface Listener {
    /** Whether checkpoint {@code epoch}, about to be injected, is a delta; the run's first is not. */
    boolean nextIsDelta(long epoch);

    /**
     * Checkpoint {@code checkpoint.epoch()} is complete: every task has its state in it.
     *
     * @throws Exception to fail the run
     */
    void completed(Checkpoint checkpoint) throws Exception;
  }

  /**
   * A complete checkpoint.
   *
   * @param heap the heap state, as {@link StateSnapshots#write} (or {@code writeDelta} if {@code
   *     delta}) would have written it
   * @param keys keys held by every keyed store; {@code dirtyKeys} of them in {@code heap}
   * @param sources per source stage (by id, as a string), what {@code offsets/N} logs for it: an
   *     unbounded read's {@code {"kind":"unbounded","source","splits":[…]}} with every split's
   *     {@code UnboundedSplitLog} entry in split order, a bounded read's or Impulse's {@code
   *     {"kind":"once","readInEpoch"}}
   * @param sourceRecords per source stage (by id), the records its tasks emitted before the barrier
   * @param watermarks per stage, the minimum of its tasks' output watermarks at the barrier
   * @param alignmentNanos from injection until every task acked
   * @param last every task had ended: the run is over and takes no further checkpoint
   */
  record Checkpoint(
      long epoch,
      boolean delta,
      byte[] heap,
      long keys,
      long dirtyKeys,
      ObjectNode sources,
      Map<Integer, Long> sourceRecords,
      Map<Stage, Instant> watermarks,
      long alignmentNanos,
      boolean last) {}

  /**
   * A task's ack of barrier {@code epoch}.
   *
   * @param sourceRecords records a source task emitted so far, -1 for a task of no source
   * @param positions a task of an unbounded read: its splits' entries, else null
   */
  record Ack(
      Stage stage,
      int partition,
      long epoch,
      PartitionImage image,
      long sourceRecords,
      @Nullable List<ObjectNode> positions) {}

  /** Checkpoint {@code epoch} is committed: sent to source tasks to finalize their marks. */
  record Committed(long epoch) implements Inbox.Control {}

  /**
   * A task whose input ended: gives its image on request, from state that no longer changes, and
   * the positions its splits ended at (the first checkpoint after its end logs what it read since
   * the last; later ones log that nothing was read).
   */
  abstract static class FinalState {
    private final long sourceRecords;
    private @Nullable List<ObjectNode> positions;

    /**
     * @param sourceRecords records the task emitted as a source task in all; -1 for a task of no
     *     source
     * @param positions its splits' entries at its end, or null
     */
    FinalState(long sourceRecords, @Nullable List<ObjectNode> positions) {
      this.sourceRecords = sourceRecords;
      this.positions = positions;
    }

    abstract PartitionImage image(boolean delta) throws Exception;

    /** The splits' entries for the next checkpoint; from then on, entries of nothing read. */
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
  private final StateSnapshots snapshots;
  private final RunControl run;
  private final Topology topology;
  private final long intervalNanos;
  private final Listener listener;
  /** Guarded by this: tasks that ended, by stage and partition, and how many. */
  private final Map<Stage, FinalState[]> ended = new HashMap<>();
  private int endedTasks;
  /** Guarded by this: the checkpoint in flight (0: none), its images and acks so far. */
  private long pending;
  private boolean pendingDelta;
  /** The last checkpoint begun (guarded by this). */
  private long lastBegun;
  private final Map<Stage, PartitionImage[]> images = new HashMap<>();
  private final Map<Integer, Long> sourceRecords = new LinkedHashMap<>();
  /** Per unbounded source stage, its splits' entries by task (guarded by this). */
  private final Map<Stage, List<ObjectNode>[]> positions = new HashMap<>();
  /** Per stage of a bounded read or Impulse: the epoch of the first checkpoint after it ended. */
  private final Map<Stage, Long> readInEpoch = new HashMap<>();
  private int acked;
  private final long firstEpoch;

  /**
   * @param snapshots assembles images into the run's snapshot layout
   * @param intervalMillis the least time from one barrier to the next, ms
   * @param firstEpoch the epoch of the first barrier (1 on a fresh run)
   */
  CheckpointCoordinator(
      ExecutablePlan plan,
      int parallelism,
      StateSnapshots snapshots,
      RunControl run,
      Topology topology,
      long intervalMillis,
      long firstEpoch,
      Listener listener) {
    this.plan = plan;
    this.parallelism = parallelism;
    this.snapshots = snapshots;
    this.run = run;
    this.topology = topology;
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
    this.listener = listener;
    this.firstEpoch = firstEpoch;
  }

  @Override
  public void run() {
    long epoch = firstEpoch;
    long nextNanos = System.nanoTime() + intervalNanos;
    try {
      while (!run.isStopped()) {
        if (!awaitNanos(nextNanos)) {
          return;
        }
        boolean last = allEnded();
        nextNanos = System.nanoTime() + intervalNanos;
        boolean delta = listener.nextIsDelta(epoch);
        long injected = System.nanoTime();
        List<Inbox> sources = begin(epoch, delta);
        Channel.Barrier barrier = new Channel.Barrier(epoch, delta);
        for (Inbox source : sources) {
          source.control(barrier);
        }
        CrashPoints.reached(CrashPoint.BARRIER_INJECTED, epoch);
        Checkpoint checkpoint = awaitAcks(epoch, injected, last);
        if (checkpoint == null) {
          return;
        }
        listener.completed(checkpoint);
        CheckpointCoordinator.Committed committed = new CheckpointCoordinator.Committed(epoch);
        for (Inbox source : sources) {
          source.control(committed);
        }
        LOG.debug("Checkpoint {} complete", epoch);
        if (last) {
          return;
        }
        epoch++;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the run is over
    } catch (Throwable t) {
      run.fail(t);
    }
  }

  /**
   * Waits until {@code deadline} ({@link System#nanoTime}), or until every task has ended (the last
   * checkpoint is due at once); false if the run stopped meanwhile.
   */
  private synchronized boolean awaitNanos(long deadline) throws InterruptedException {
    for (long left = deadline - System.nanoTime();
        left > 0 && !allEnded();
        left = deadline - System.nanoTime()) {
      if (run.isStopped()) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return !run.isStopped();
  }

  private synchronized boolean allEnded() {
    return endedTasks == plan.stages().size() * parallelism;
  }

  /**
   * Opens checkpoint {@code epoch}: ended tasks give their image now; returns the inboxes of the
   * source tasks still running, which the barrier is injected into.
   */
  private synchronized List<Inbox> begin(long epoch, boolean delta) throws Exception {
    pending = epoch;
    lastBegun = epoch;
    pendingDelta = delta;
    images.clear();
    sourceRecords.clear();
    positions.clear();
    acked = 0;
    for (Stage stage : plan.stages()) {
      images.put(stage, new PartitionImage[parallelism]);
    }
    for (Map.Entry<Stage, FinalState[]> e : ended.entrySet()) {
      for (int p = 0; p < parallelism; p++) {
        FinalState last = e.getValue()[p];
        if (last != null) {
          record(e.getKey(), p, last.image(delta), last.sourceRecords, last.takePositions());
        }
      }
    }
    List<Inbox> sources = new ArrayList<>();
    for (Stage stage : plan.stages()) {
      if (stage.source() == null) {
        continue;
      }
      for (int p = 0; p < parallelism; p++) {
        if (images.get(stage)[p] == null) {
          sources.add(topology.inbox(stage, p));
        }
      }
    }
    return sources;
  }

  private synchronized @Nullable Checkpoint awaitAcks(long epoch, long injectedNanos, boolean last)
      throws Exception {
    int tasks = plan.stages().size() * parallelism;
    while (acked < tasks) {
      if (run.isStopped()) {
        return null;
      }
      wait(100);
    }
    pending = 0;
    byte[] heap = snapshots.assemble(images);
    long keys = 0;
    long dirtyKeys = 0;
    Map<Stage, Instant> watermarks = new HashMap<>();
    for (Map.Entry<Stage, PartitionImage[]> e : images.entrySet()) {
      long watermark = Long.MAX_VALUE;
      for (PartitionImage part : e.getValue()) {
        keys += part.keys();
        dirtyKeys += part.dirtyKeys();
        watermark = Math.min(watermark, part.outputWatermark());
      }
      watermarks.put(e.getKey(), new Instant(watermark));
    }
    return new Checkpoint(
        epoch,
        pendingDelta,
        heap,
        keys,
        dirtyKeys,
        sources(epoch),
        new LinkedHashMap<>(sourceRecords),
        watermarks,
        System.nanoTime() - injectedNanos,
        last);
  }

  /** What {@code offsets/N} logs per source stage (see {@link Checkpoint#sources}). */
  private ObjectNode sources(long epoch) {
    ObjectNode sources = JsonNodeFactory.instance.objectNode();
    for (Stage stage : plan.stages()) {
      if (stage.source() == null) {
        continue;
      }
      ObjectNode source = sources.putObject(Integer.toString(stage.id()));
      List<ObjectNode>[] byTask = positions.get(stage);
      if (stage.source() instanceof SourceSpec.UnboundedRead) {
        source.put("kind", "unbounded");
        source.put("source", stage.source().stepName());
        ArrayNode splits = source.putArray("splits");
        // task p reads splits p, p + P, p + 2P, … (RealtimeEngine.share)
        for (int k = 0; ; k++) {
          boolean any = false;
          for (int p = 0; p < parallelism; p++) {
            List<ObjectNode> mine = byTask == null ? null : byTask[p];
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

  /**
   * Task ({@code ack.stage()}, {@code ack.partition()}) reached barrier {@code ack.epoch()} and
   * snapshotted.
   *
   * @throws IllegalStateException if the ack is not for the checkpoint in flight, or comes twice
   */
  synchronized void ack(Ack ack) {
    if (ack.epoch() != pending) {
      throw new IllegalStateException(
          "Ack of barrier " + ack.epoch() + " while checkpoint " + pending + " is in flight");
    }
    record(ack.stage(), ack.partition(), ack.image(), ack.sourceRecords(), ack.positions());
    notifyAll();
  }

  /**
   * Task ({@code stage}, {@code partition}) ended: it acks no barrier from now on; this and every
   * later checkpoint take its image from {@code last}. Called on the task's thread before it sends
   * {@link Channel#END}.
   */
  synchronized void finished(Stage stage, int partition, FinalState last) throws Exception {
    ended.computeIfAbsent(stage, s -> new FinalState[parallelism])[partition] = last;
    endedTasks++;
    boolean acks = pending != 0 && images.get(stage)[partition] == null;
    readInEpoch.putIfAbsent(stage, acks ? pending : Math.max(firstEpoch, lastBegun + 1));
    if (acks) {
      record(stage, partition, last.image(pendingDelta), last.sourceRecords, last.takePositions());
      notifyAll();
    }
  }

  @SuppressWarnings("unchecked")
  private void record(
      Stage stage,
      int partition,
      PartitionImage image,
      long records,
      @Nullable List<ObjectNode> splits) {
    PartitionImage[] parts = images.get(stage);
    if (parts[partition] != null) {
      throw new IllegalStateException(
          "Task " + partition + " of " + stage + " acked checkpoint " + pending + " twice");
    }
    parts[partition] = image;
    acked++;
    if (splits != null) {
      positions.computeIfAbsent(stage, s -> new List[parallelism])[partition] = splits;
    }
    if (records >= 0) {
      sourceRecords.merge(stage.id(), records, Long::sum);
    }
  }
}
