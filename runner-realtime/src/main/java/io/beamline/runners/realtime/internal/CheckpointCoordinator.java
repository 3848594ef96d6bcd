package io.beamline.runners.realtime.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.runners.realtime.RealtimeProgress;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.state.RocksDbStore;
import io.beamline.sdk.internal.state.StateSnapshots;
import io.beamline.sdk.internal.state.StateSnapshots.PartitionImage;
import io.beamline.sdk.io.EpochInfo;
import io.beamline.sdk.testing.CrashPoint;
import io.beamline.sdk.testing.CrashPoints;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
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
     * Every source task took barrier {@code epoch}: {@code sources} (see {@link
     * Checkpoint#sources}) is what the epoch read. Returns once that is durable ({@code
     * offsets/N}); sinks that commit at barriers commit N only after it.
     *
     * @throws Exception to fail the run
     */
    default void offsetsLogged(long epoch, ObjectNode sources) throws Exception {}

    /**
     * Checkpoint {@code checkpoint.epoch()} is complete: every task has its state in it.
     *
     * @throws Exception to fail the run
     */
    void completed(Checkpoint checkpoint) throws Exception;

    /** Nanoseconds the last checkpoint spent on RocksDB state, or -1 if the run has none. */
    default long lastRocksDbSnapshotNanos() {
      return -1;
    }

    /** Approximate bytes of the run's RocksDB state (for progress; only if it has some). */
    default long rocksDbBytes() {
      return 0;
    }
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

  /** A task's ack of barrier {@code epoch}: its state is in {@code image}. */
  record Ack(Stage stage, int partition, long epoch, PartitionImage image) {}

  /**
   * A source task took barrier {@code epoch}, before it sends the barrier on.
   *
   * @param records records it emitted so far
   * @param positions a task of an unbounded read: its splits' entries; null for a bounded read
   */
  record SourceAck(
      Stage stage, int partition, long epoch, long records, @Nullable List<ObjectNode> positions) {}

  /** Checkpoint {@code epoch} is committed: sent to source tasks to finalize their marks. */
  record Committed(long epoch) implements Inbox.Control {}

  /** A task whose input ended: gives its image on request, from state that no longer changes. */
  interface FinalState {
    PartitionImage image(boolean delta) throws Exception;
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
  /**
   * Guarded by this: RocksDB overlays of tasks that ended after acking the checkpoint in flight,
   * applied once it is written.
   */
  private final List<RocksDbStore.Overlay> endedOverlays = new ArrayList<>();
  /** Epoch numbers start at 0: this stands for none. */
  private static final long NONE = -1;

  /** Guarded by this: the checkpoint whose acks are awaited ({@link #NONE}), its images, acks. */
  private long pending = NONE;
  private boolean pendingDelta;
  /** Guarded by this: the checkpoint every task acked, being written ({@link #NONE}: none). */
  private long writing = NONE;
  /** The last checkpoint begun (guarded by this). */
  private long lastBegun;
  private final Map<Stage, PartitionImage[]> images = new HashMap<>();
  /** What the source tasks read in the checkpoint in flight (guarded by this). */
  private final CheckpointSources sources;
  /** The last epoch whose offsets are durable (guarded by this). */
  private long offsetsLogged = -1;
  private int acked;
  private final long firstEpoch;
  /** The run's id (the checkpoint's), and the epoch replayed from {@code offsets/N}, or -1. */
  private final String runId;
  private final long replayEpoch;
  /** Where completed checkpoints are reported (progress); and how many there were. */
  private Consumer<RealtimeProgress.Checkpoint> progress = c -> {};
  private long completed;
  /** What {@link EpochInfo} needs for sinks' commit time; not reported on this runner yet. */
  private final LongAdder sinkCommitNanos = new LongAdder();

  /**
   * @param snapshots assembles images into the run's snapshot layout
   * @param intervalMillis the least time from one barrier to the next, ms
   * @param firstEpoch the epoch of the first barrier (0 on a fresh run)
   * @param runId the run's id, as exactly-once sinks see it ({@link EpochInfo#runId()})
   * @param replayEpoch {@code firstEpoch} if it replays logged offsets, else -1
   */
  CheckpointCoordinator(
      ExecutablePlan plan,
      int parallelism,
      StateSnapshots snapshots,
      RunControl run,
      Topology topology,
      long intervalMillis,
      long firstEpoch,
      String runId,
      long replayEpoch,
      Listener listener) {
    this.plan = plan;
    this.parallelism = parallelism;
    this.snapshots = snapshots;
    this.run = run;
    this.topology = topology;
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
    this.listener = listener;
    this.firstEpoch = firstEpoch;
    this.runId = runId;
    this.replayEpoch = replayEpoch;
    this.sources = new CheckpointSources(plan, parallelism);
    this.lastBegun = firstEpoch - 1;
  }

  /** Reports every completed checkpoint to {@code progress} (before the run starts). */
  void reportTo(Consumer<RealtimeProgress.Checkpoint> progress) {
    this.progress = progress;
  }

  long firstEpoch() {
    return firstEpoch;
  }

  /** What an exactly-once sink of task {@code partition} sees in {@code epoch}. */
  EpochInfo epochInfo(long epoch, int partition) {
    return new EpochInfo(
        runId, epoch, partition, parallelism, epoch == replayEpoch, sinkCommitNanos);
  }

  @Override
  public void run() {
    long epoch = firstEpoch;
    // an epoch read again is cut where it was: its barrier goes in at once, sources take it at the end
    long nextNanos = System.nanoTime() + (replayEpoch == firstEpoch ? 0 : intervalNanos);
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
        ObjectNode offsets = awaitSourceAcks(epoch);
        if (offsets == null) {
          return;
        }
        listener.offsetsLogged(epoch, offsets);
        offsetsLogged(epoch);
        Checkpoint checkpoint = awaitAcks(epoch, injected, offsets, last);
        if (checkpoint == null) {
          return;
        }
        long writeStart = System.nanoTime();
        listener.completed(checkpoint);
        long writeNanos = System.nanoTime() - writeStart;
        applyEndedOverlays();
        completed++;
        long rocksDbNanos = listener.lastRocksDbSnapshotNanos();
        progress.accept(
            new RealtimeProgress.Checkpoint(
                epoch,
                completed,
                TimeUnit.NANOSECONDS.toMillis(checkpoint.alignmentNanos()),
                TimeUnit.NANOSECONDS.toMillis(writeNanos),
                checkpoint.heap().length,
                checkpoint.delta(),
                rocksDbNanos < 0 ? null : TimeUnit.NANOSECONDS.toMillis(rocksDbNanos),
                rocksDbNanos < 0 ? null : listener.rocksDbBytes()));
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
    acked = 0;
    sources.begin();
    for (Stage stage : plan.stages()) {
      images.put(stage, new PartitionImage[parallelism]);
    }
    for (Map.Entry<Stage, FinalState[]> e : ended.entrySet()) {
      for (int p = 0; p < parallelism; p++) {
        FinalState last = e.getValue()[p];
        if (last != null) {
          recordImage(e.getKey(), p, last.image(delta));
        }
      }
    }
    List<Inbox> inject = new ArrayList<>();
    for (Stage stage : plan.stages()) {
      if (stage.source() == null) {
        continue;
      }
      for (int p = 0; p < parallelism; p++) {
        if (!sources.acked(stage, p)) {
          inject.add(topology.inbox(stage, p));
        }
      }
    }
    return inject;
  }

  /** Waits until every source task took the barrier; what they read, or null if the run stopped. */
  private synchronized @Nullable ObjectNode awaitSourceAcks(long epoch) throws InterruptedException {
    while (!sources.allAcked()) {
      if (run.isStopped()) {
        return null;
      }
      wait(100);
    }
    return sources.offsets(epoch);
  }

  private synchronized void offsetsLogged(long epoch) {
    offsetsLogged = epoch;
    notifyAll();
  }

  /**
   * Blocks a task until the offsets of checkpoint {@code epoch} are durable: a sink commits its
   * output of the epoch only then (a replay must cut the epoch where it was cut).
   *
   * @throws java.util.concurrent.CancellationException if the run stops meanwhile
   */
  synchronized void awaitOffsetsLogged(long epoch) throws InterruptedException {
    while (offsetsLogged < epoch) {
      if (run.isStopped()) {
        throw new java.util.concurrent.CancellationException("the run stopped");
      }
      wait(100);
    }
  }

  private synchronized @Nullable Checkpoint awaitAcks(
      long epoch, long injectedNanos, ObjectNode offsets, boolean last) throws Exception {
    int tasks = plan.stages().size() * parallelism;
    while (acked < tasks) {
      if (run.isStopped()) {
        return null;
      }
      wait(100);
    }
    pending = NONE;
    writing = epoch;
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
        offsets,
        sources.records(),
        watermarks,
        System.nanoTime() - injectedNanos,
        last);
  }

  /**
   * Source task ({@code ack.stage()}, {@code ack.partition()}) took barrier {@code ack.epoch()}.
   *
   * @throws IllegalStateException if the ack is not for the checkpoint in flight, or comes twice
   */
  synchronized void sourceAck(SourceAck ack) {
    checkPending(ack.epoch());
    sources.ack(ack.stage(), ack.partition(), ack.records(), ack.positions());
    notifyAll();
  }

  /**
   * Task ({@code ack.stage()}, {@code ack.partition()}) reached barrier {@code ack.epoch()} and
   * snapshotted.
   *
   * @throws IllegalStateException if the ack is not for the checkpoint in flight, or comes twice
   */
  synchronized void ack(Ack ack) {
    checkPending(ack.epoch());
    recordImage(ack.stage(), ack.partition(), ack.image());
    notifyAll();
  }

  private void checkPending(long epoch) {
    if (epoch != pending) {
      throw new IllegalStateException(
          "Ack of barrier " + epoch + " while checkpoint " + pending + " is in flight");
    }
  }

  /**
   * Task ({@code stage}, {@code partition}) ended: it acks no barrier from now on; this and every
   * later checkpoint take its image from {@code last}. Its RocksDB {@code overlay} (null if none)
   * is applied now, or, if the task already acked the checkpoint in flight, once that is written.
   * Called on the task's thread before it sends {@link Channel#END}.
   */
  synchronized void finished(
      Stage stage, int partition, FinalState last, RocksDbStore.@Nullable Overlay overlay)
      throws Exception {
    ended.computeIfAbsent(stage, s -> new FinalState[parallelism])[partition] = last;
    endedTasks++;
    boolean ackedPending = pending != NONE && images.get(stage)[partition] != null;
    if (overlay != null) {
      if (ackedPending || writing != NONE) {
        endedOverlays.add(overlay); // writes after its barrier: not into the checkpoint in flight
      } else {
        overlay.apply(); // its final state is in the next checkpoint (maybe the one in flight)
      }
    }
    if (pending != NONE && !ackedPending) {
      recordImage(stage, partition, last.image(pendingDelta));
    }
    notifyAll();
  }

  /** The checkpoint in flight is written: overlays held back from it go to RocksDB. */
  private synchronized void applyEndedOverlays() throws Exception {
    writing = NONE;
    for (RocksDbStore.Overlay overlay : endedOverlays) {
      overlay.apply();
    }
    endedOverlays.clear();
  }

  /**
   * Source task ({@code stage}, {@code partition}) read all it will: it takes no barrier from now
   * on; this and every later checkpoint log its splits at {@code positions}. Called on the task's
   * thread before {@link #finished}, and before its sinks wait for the open epoch's offsets.
   *
   * @param records records it emitted in all
   * @param positions its splits' entries at its end, or null for a bounded read or Impulse
   */
  synchronized void sourceEnded(
      Stage stage, int partition, long records, @Nullable List<ObjectNode> positions) {
    sources.ended(
        stage, partition, records, positions, pending, Math.max(firstEpoch, lastBegun + 1));
    notifyAll();
  }

  private void recordImage(Stage stage, int partition, PartitionImage image) {
    PartitionImage[] parts = images.get(stage);
    if (parts[partition] != null) {
      throw new IllegalStateException(
          "Task " + partition + " of " + stage + " acked checkpoint " + pending + " twice");
    }
    parts[partition] = image;
    acked++;
  }
}
