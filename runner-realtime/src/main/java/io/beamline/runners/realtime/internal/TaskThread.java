package io.beamline.runners.realtime.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.internal.operators.StageTask;
import io.beamline.sdk.internal.operators.TaskContext;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.state.StateSnapshots;
import io.beamline.sdk.io.DeferredFlush;
import io.beamline.sdk.io.EpochInfo;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * One task of a real-time run — one partition of one stage — on its own thread for the whole run:
 * it opens the stage's operators, feeds them input as it arrives ({@link #body}), ends bundles, and
 * moves time: its input watermark (in-band, from its channels or its source), the processing-time
 * clock, and its output watermark, which it sends on every output channel after the records before
 * it. When its input is over it drains (fires what remains, see {@link #drain}), sends {@link
 * Channel#END} downstream and closes the operators.
 *
 * <p><b>Sink flushes</b>: the run commits nothing per bundle, so at-least-once sinks defer their
 * flush ({@link DeferredFlush}, installed on the task's thread) to the task's commit points: each
 * checkpoint barrier ({@link #atBarrier}), and the end, after it drained and before it sends {@link
 * Channel#END}, so a checkpoint or the run's end holds only once every record its sinks sent is
 * acknowledged. A cancelled or failed run flushes nothing: it restarts from its last checkpoint.
 *
 * <p><b>Checkpoints</b> (when the run has a {@link CheckpointCoordinator}): at barrier N the task
 * ends its bundle, encodes its state ({@link StateSnapshots#image}), sends the barrier on every
 * output channel behind what it sent before, flushes its sinks and acks; then it goes on with epoch
 * N+1. When its input ends it registers its final state instead ({@link
 * CheckpointCoordinator#finished}).
 *
 * <p><b>Bundles</b> end before the output watermark moves (so what a bundle wrote — a side input's
 * contents — is complete before the watermark says so); in a streaming run also when the task finds
 * no input waiting (so latency is not hostage to a batch), after {@code maxBundleElements} elements
 * and after {@code maxBundleTimeMillis}. In a bounded run a bundle lasts until the input ends.
 *
 * <p>Threading: everything here runs on the task's own thread, except what the shared objects
 * ({@link Channel}, {@link Inbox}, {@link StageWatermarks}, {@link RunControl}) synchronise.
 */
abstract class TaskThread implements Runnable {
  /** How often a task moves processing time on the wall clock, at most. */
  private static final long PROCESSING_TIME_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  protected final Stage stage;
  protected final int partition;
  protected final StageTask task;
  protected final RunControl run;
  protected final Inbox inbox;
  private final StageWatermarks watermarks;
  private final List<Channel> outputs;
  private final TaskState state;
  private final boolean bounded;
  private final long maxBundleNanos;
  protected Instant inputWatermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant outputWatermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant processingTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
  /** Synchronized processing time: never back, at most processing time ({@link #synchronizedAt}). */
  private Instant synchronizedTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
  /** The synchronized processing time timers last fired at. */
  private Instant firedSynchronizedTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private long lastTickNanos;
  private boolean inBundle;
  private long bundleStartNanos;
  private long bundleElements;
  private boolean viewsWritten;
  /** Items taken from the inbox since the last bundle ended (see {@link InFlight}). */
  protected long unsettled;
  private boolean startupSettled;
  private volatile long elementsIn;
  private volatile long elementsOut;
  /** Null unless this is a task of a last stage. */
  private final @Nullable LatencyHistogram latency;
  /** Installed on the task's thread for the whole run. */
  private DeferredFlush sinkFlushes;

  /**
   * What a task is made of.
   *
   * @param outputs every channel the task writes into
   * @param state the partition's keyed state, held-back elements and view contents, and its side
   *     of the run's checkpoints
   * @param bounded true in a bounded run: processing time jumps to +∞ at the end of the input
   * @param latency where a last stage (one feeding no exchange) records end-to-end latencies
   */
  record Parts(
      Stage stage,
      int partition,
      StageTask task,
      RunControl run,
      Inbox inbox,
      StageWatermarks watermarks,
      List<Channel> outputs,
      TaskState state,
      boolean bounded,
      LatencyHistogram latency) {}

  TaskThread(Parts parts) {
    this.stage = parts.stage();
    this.partition = parts.partition();
    this.task = parts.task();
    this.run = parts.run();
    this.inbox = parts.inbox();
    this.watermarks = parts.watermarks();
    this.outputs = parts.outputs();
    this.state = parts.state();
    this.bounded = parts.bounded();
    this.latency = stage.outputExchanges().isEmpty() ? parts.latency() : null;
    this.maxBundleNanos = TimeUnit.MILLISECONDS.toNanos(run.settings().maxBundleTimeMillis());
  }

  /** Feeds the task until its input is over (every channel ended, or the source is exhausted). */
  protected abstract void body() throws Exception;

  @Override
  public final void run() {
    inbox.setOwner(Thread.currentThread());
    TaskContext context = task.context();
    sinkFlushes = DeferredFlush.install();
    state.start();
    try {
      task.open();
      Instant now = run.clock().now();
      context.setProcessingTimes(now, synchronizedAt(now));
      body();
      drain();
      sinkFlushes.flushAll(); // the commit point: what the sinks sent is acknowledged before END
      state.finish(elementsIn, endPositions(), outputWatermark, sinkFlushes);
      for (Channel output : outputs) {
        output.put(Channel.END);
      }
    } catch (Throwable t) {
      run.metrics().attemptOnly(context.takeMetrics());
      if (!(t instanceof CancellationException && run.isStopped())) {
        run.fail(t);
      }
    } finally {
      DeferredFlush.uninstall();
      EpochInfo.uninstall();
      inbox.close();
      try {
        task.close();
      } catch (Exception e) {
        run.fail(e);
      }
    }
  }

  /**
   * Takes checkpoint {@code barrier.epoch()}: everything before the barrier is processed, nothing
   * after it. Ends the bundle, forgets idle keys, encodes the task's state, sends the barrier on
   * every output channel (behind everything of its epoch), flushes the at-least-once sinks, commits
   * the exactly-once ones (once the epoch's offsets are durable) and acks; then installs the next
   * epoch for the sinks ({@link EpochInfo}).
   *
   * @param sourceRecords records this task emitted as a source task so far, -1 for a task of no
   *     source
   * @param positions a source task's split positions ({@link UnboundedSplits#checkpoint}), or null
   * @throws IllegalStateException if the state cannot be encoded, naming the stage
   */
  protected final void atBarrier(
      Channel.Barrier barrier, long sourceRecords, @Nullable List<ObjectNode> positions)
      throws Exception {
    endBundle();
    state.atBarrier(barrier, sourceRecords, positions, outputWatermark, outputs, sinkFlushes);
  }

  /** A source task's split positions at its end (null: none, or not a source task). */
  protected @Nullable List<ObjectNode> endPositions() {
    return null;
  }

  /**
   * A checkpoint barrier was injected into this task (a source task's; see {@link
   * CheckpointCoordinator}). Ignored by default: a task that cannot take it acks once it ended.
   */
  protected void barrierInjected(Channel.Barrier barrier) throws Exception {}

  /** Checkpoint {@code epoch} is committed (a source task finalizes its marks). */
  protected void checkpointCommitted(long epoch) throws Exception {}

  /** Called before the task is given anything to process: starts a bundle if none is open. */
  protected final void beginWork() {
    if (!inBundle) {
      inBundle = true;
      bundleStartNanos = System.nanoTime();
    }
  }

  /** Gives one decoded element to the stage's root operator. */
  protected final void processElement(Object element) throws Exception {
    beginWork();
    task.processElement(element);
    bundleElements++;
    elementsIn++;
  }

  /** Counts an element a source task emitted into its stage. */
  protected final void countSourceElement() {
    beginWork();
    bundleElements++;
    elementsIn++;
  }

  /** Elements given to this task so far (read by progress reporting on another thread). */
  long elementsIn() {
    return elementsIn;
  }

  /** Elements a last stage's task has finished so far; 0 for other stages. */
  long elementsOut() {
    return elementsOut;
  }

  /**
   * An element went through the stage: in a last stage, counts it out and records its end-to-end
   * latency (now minus its timestamp) if the timestamp lies within the last hour.
   */
  protected final void finished(Object element) {
    if (latency == null) {
      return;
    }
    elementsOut++;
    latency.recordFinished(element);
  }

  /**
   * Whether to end the open bundle now: when the watermark moved; in a streaming run also when the
   * task found nothing to do ({@code idle}) or the bundle reached its size or age limit. In a bounded
   * run a bundle lasts until the input ends, as MicroBatchRunner's single epoch: latency does not
   * matter there, and per-bundle work (a lifted combine's partial accumulators, a sink's flush) is
   * paid once per task instead of once per thousand elements.
   */
  protected final boolean shouldEndBundle(boolean idle, boolean watermarkMoved) {
    if (watermarkMoved) {
      return true;
    }
    return !bounded
        && (idle
            || (inBundle
                && (bundleElements >= run.settings().maxBundleSize()
                    || System.nanoTime() - bundleStartNanos >= maxBundleNanos)));
  }

  /**
   * How many more elements the open bundle takes before it reaches {@code maxBundleElements}, at
   * least 1 (the next bundle's first); unlimited in a bounded run.
   */
  protected final int bundleRoom() {
    return bounded
        ? Integer.MAX_VALUE
        : (int) Math.max(1, run.settings().maxBundleSize() - bundleElements);
  }

  /** Nanoseconds until the open bundle must end, or {@code otherwise} without a time limit. */
  protected final long nanosToBundleEnd(long otherwise) {
    return inBundle && !bounded
        ? Math.max(0, maxBundleNanos - (System.nanoTime() - bundleStartNanos))
        : otherwise;
  }

  /** Moves the task's input watermark (never back) and fires what it makes due. */
  protected final void advanceInputWatermark(Instant watermark) throws Exception {
    if (watermarks.readsViews(stage)) {
      Instant views = watermarks.viewWatermark(stage);
      watermark = views.isBefore(watermark) ? views : watermark;
    }
    if (watermark.isAfter(inputWatermark)) {
      if (!stage.sideInputs().isEmpty()) {
        // operators retry held-back elements when a bundle starts: end the open one first
        endBundle();
      }
      inputWatermark = watermark;
      beginWork();
      task.advanceInputWatermark(watermark);
    }
  }

  /**
   * Retries elements held back for side inputs, which may be ready now, in a bundle of their own
   * (operators retry them when a bundle starts).
   */
  protected final void sideInputsChanged(Instant channelWatermark) throws Exception {
    endBundle();
    Instant before = inputWatermark;
    advanceInputWatermark(channelWatermark);
    if (!inputWatermark.isAfter(before)) {
      beginWork();
      task.advanceInputWatermark(inputWatermark);
    }
  }

  /**
   * Sets the processing times elements are processed at, and on the wall clock fires
   * processing-time timers every few milliseconds.
   */
  protected final void tick() throws Exception {
    Instant now = run.clock().now();
    Instant synchronizedNow = synchronizedAt(now);
    task.context().setProcessingTimes(now, synchronizedNow);
    if (!run.clock().isSynthetic()) {
      long nanos = System.nanoTime();
      if (nanos - lastTickNanos >= PROCESSING_TIME_TICK_NANOS
          && (now.isAfter(processingTime) || synchronizedNow.isAfter(firedSynchronizedTime))) {
        lastTickNanos = nanos;
        advanceProcessingTime(now);
      }
    }
  }

  /**
   * The synchronized processing time at processing time {@code now}: {@code now}, held back by what
   * the task's input has still to deliver ({@link #heldSynchronizedTime}), and never back.
   */
  private Instant synchronizedAt(Instant now) {
    Instant held = heldSynchronizedTime(now);
    if (held.isAfter(synchronizedTime)) {
      synchronizedTime = held;
    }
    return synchronizedTime;
  }

  /**
   * The synchronized processing time the task's input allows at processing time {@code now}: {@code
   * now} for a task that reads a source; a task fed by channels holds it back while a producer's
   * bundle is only partly taken.
   */
  protected Instant heldSynchronizedTime(Instant now) {
    return now;
  }

  /** Fires processing-time timers up to {@code now}, synchronized ones as far as input allows. */
  protected final void advanceProcessingTime(Instant now) throws Exception {
    Instant synchronizedNow = synchronizedAt(now);
    if (!now.isAfter(processingTime) && !synchronizedNow.isAfter(firedSynchronizedTime)) {
      return;
    }
    if (now.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
      task.context().setProcessingTimes(now, synchronizedNow);
    }
    processingTime = now.isAfter(processingTime) ? now : processingTime;
    firedSynchronizedTime = synchronizedNow;
    beginWork();
    task.advanceProcessingTime(processingTime, synchronizedNow);
  }

  /** Handles the inbox's control messages; true if there were any. */
  protected final boolean handleControl(Instant channelWatermark) throws Exception {
    boolean any = false;
    for (Inbox.Control message = inbox.pollControl(); message != null; message = inbox.pollControl()) {
      any = true;
      unsettled++;
      if (message == Inbox.Signal.PROCESSING_TIME) {
        advanceProcessingTime(run.clock().now());
      } else if (message == Inbox.Signal.SIDE_INPUTS) {
        sideInputsChanged(channelWatermark);
      } else if (message instanceof Channel.Barrier barrier) {
        barrierInjected(barrier);
      } else if (message instanceof CheckpointCoordinator.Committed committed) {
        checkpointCommitted(committed.epoch());
      }
    }
    return any;
  }

  /**
   * Ends the open bundle (operators' {@code finishBundle}, bundle finalizations, metrics committed),
   * then sends the output watermark — the input watermark held back by the operators' holds — if
   * it moved, marks the bundle's end on every channel it wrote to ({@link Channel.BundleEnd}), and
   * settles the items taken so far.
   */
  protected final void endBundle() throws Exception {
    if (inBundle) {
      inBundle = false;
      viewsWritten |= bundleElements > 0 && !stage.producedViews().isEmpty();
      bundleElements = 0;
      task.finishBundle();
      task.flushExchanges();
      task.finalizeBundles();
      run.metrics().commit(task.context().takeMetrics());
    }
    Instant hold = task.outputWatermarkHold();
    Instant output = hold.isBefore(inputWatermark) ? hold : inputWatermark;
    if (output.isAfter(outputWatermark)) {
      outputWatermark = output;
      Channel.Watermark item = new Channel.Watermark(output);
      for (Channel channel : outputs) {
        channel.put(item);
      }
      watermarks.update(stage, partition, output);
    }
    Instant synchronizedNow = task.context().synchronizedProcessingTime();
    for (Channel channel : outputs) {
      channel.endBundle(synchronizedNow);
    }
    if (viewsWritten) {
      viewsWritten = false;
      watermarks.viewsWritten(stage);
    }
    if (!startupSettled) {
      startupSettled = true;
      unsettled++; // the count the engine took for this task's start (see InFlight)
    }
    if (unsettled > 0) {
      run.inFlight().settled(unsettled);
      unsettled = 0;
    }
  }

  /**
   * After the input is over (input watermark +∞): fires what remains until the output watermark is
   * +∞. A bounded run jumps processing time to +∞ (as Beam's Flink batch runner). A streaming run
   * waits for the wall clock while a processing-time timer is pending (a splittable DoFn's resume
   * timer: PeriodicImpulse, Watch), answering side-input changes meanwhile; when nothing is pending
   * and something still holds the watermark, processing time jumps to +∞; if even that moves
   * nothing, the task fails as stuck instead of spinning.
   *
   * @throws IllegalStateException if the task cannot finish
   */
  private void drain() throws Exception {
    endBundle();
    boolean synthetic = run.clock().isSynthetic();
    if (bounded || synthetic) {
      advanceProcessingTime(BoundedWindow.TIMESTAMP_MAX_VALUE);
      endBundle();
    }
    while (outputWatermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
      if (run.isStopped()) {
        throw new CancellationException("the run stopped");
      }
      if (handleControl(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        endBundle();
      }
      Instant timer =
          state.keyed() == null || synthetic
              ? BoundedWindow.TIMESTAMP_MAX_VALUE
              : state.keyed().earliestProcessingTimer();
      if (timer.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        long wait = timer.getMillis() + 1 - run.clock().now().getMillis();
        if (wait > 0) {
          inbox.park(TimeUnit.MILLISECONDS.toNanos(Math.min(wait, 100)));
        } else {
          advanceProcessingTime(run.clock().now());
          endBundle();
        }
        continue;
      }
      if (inputWatermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        inbox.park(TimeUnit.MILLISECONDS.toNanos(100)); // side inputs not complete yet
        continue;
      }
      if (!stage.sideInputs().isEmpty()) {
        sideInputsChanged(inputWatermark);
      }
      advanceProcessingTime(BoundedWindow.TIMESTAMP_MAX_VALUE);
      endBundle();
      if (outputWatermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        throw new IllegalStateException(
            String.format(
                "%s is stuck after its input ended: its output watermark is held at %s even at"
                    + " the end of processing time",
                task, outputWatermark));
      }
    }
  }

}
