package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.exchange.KeyedElement;

import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.WindowedValue;
import org.joda.time.Instant;

/**
 * One step of a fused stage, instantiated once per task (one task = one partition of a stage) and
 * kept for the whole run: the contract every engine drives, the micro-batch runner once per epoch,
 * a continuous runner as elements and watermarks arrive.
 *
 * <pre>
 *   open ──► ( processElement | advanceInputWatermark | advanceProcessingTime | finishBundle )* ──► close
 * </pre>
 *
 * <ul>
 *   <li>{@link #open()} once (downstream operators of the stage before upstream ones, so anything
 *       emitted reaches an open operator). State that must survive a checkpoint lives in the
 *       context's stores ({@link TaskContext#keyedState()}, {@link TaskContext#pushedBack()}), which
 *       the engine snapshots and restores before {@code open}; an operator keeps only what it
 *       flushes at {@link #finishBundle()}.
 *   <li>A bundle starts with the first element or timer after {@code open} or after the previous
 *       {@link #finishBundle()}; the engine ends it (per epoch, or on size or time). Bundles of one
 *       task never overlap.
 *   <li>{@link #advanceInputWatermark} first processes anything buffered (those elements were
 *       before the watermark), then fires event-time timers up to the watermark: a window fires the
 *       moment the watermark passes it. {@link #advanceProcessingTime} fires processing-time
 *       timers. Both may emit, and both may be called between elements.
 *   <li>For every call the engine calls the operators of a stage from upstream to downstream, so
 *       what an operator emits while handling a call reaches the next one before that one handles
 *       the same call.
 *   <li>{@link #close()} exactly once, also after a failure.
 * </ul>
 *
 * <p>Output goes to the receivers of the task's {@link TaskContext}; at the edge of the stage the
 * task's exchange writers take it (and a continuous engine's bounded queues may make the task wait
 * before its next input: see the engine).
 *
 * <p>Threading: an operator is used by one thread at a time; an engine may move a task between
 * threads only with a happens-before edge between the calls (an executor hand-off).
 */
public interface Operator {

  /** Acquires resources (e.g. calls {@code @Setup} of a DoFn). */
  default void open() throws Exception {}

  /**
   * Processes one input element: a {@link KeyedElement} for the root of a stage fed by a keyed
   * exchange, otherwise a {@link WindowedValue}.
   */
  void processElement(Object element) throws Exception;

  /**
   * The input watermark moved to {@code watermark} (never backwards): processes buffered input,
   * then fires every event-time timer at or before it.
   */
  default void advanceInputWatermark(Instant watermark) throws Exception {}

  /**
   * Processing time moved to {@code processingTime} and synchronized processing time to {@code
   * synchronizedTime} (at most {@code processingTime}; equal unless the engine holds it back for
   * upstream work, see {@link TaskContext#setProcessingTimes}): fires every timer of either domain
   * before its clock. {@link BoundedWindow#TIMESTAMP_MAX_VALUE} fires them all (end of a bounded run).
   */
  default void advanceProcessingTime(Instant processingTime, Instant synchronizedTime)
      throws Exception {}

  /** Ends the current bundle, if one is open: flushes buffered work, {@code @FinishBundle}. */
  default void finishBundle() throws Exception {}

  /**
   * The earliest timestamp this operator may still emit an element with (watermark holds of its
   * state, pending timers' output timestamps, held-back input), or {@link
   * BoundedWindow#TIMESTAMP_MAX_VALUE}: the stage's output watermark may not pass it.
   */
  default Instant outputWatermarkHold() {
    return BoundedWindow.TIMESTAMP_MAX_VALUE;
  }

  /** Releases resources (e.g. calls {@code @Teardown}); called exactly once, even on failure. */
  default void close() throws Exception {}

  /**
   * Receives the elements of one PCollection inside a task. Failures of downstream steps propagate
   * as unchecked exceptions (user code failures as Beam's {@code UserCodeException}).
   */
  @FunctionalInterface
  interface Receiver {
    void accept(WindowedValue<?> element);
  }
}
