package io.beamline.sdk.internal.execution;

import org.apache.beam.sdk.values.WindowedValue;

/**
 * One step of a fused stage, instantiated once per task (one task = one partition of a stage).
 *
 * <p>Lifecycle, driven by {@link StageTask} on a single thread: {@link #open()} once (downstream
 * operators are opened before upstream ones, so anything emitted is received by an open operator),
 * {@link #process} for every input element, {@link #finish()} once after the input is exhausted
 * (upstream before downstream, so outputs emitted while finishing still reach open operators), and
 * {@link #close()} exactly once, also after a failure. Instances are not thread-safe and are never
 * shared between tasks.
 */
public interface Operator {

  /** Acquires resources (e.g. calls {@code @Setup} and {@code @StartBundle} of a DoFn). */
  default void open() throws Exception {}

  /**
   * Processes one input element. For operators fed by a keyed exchange the element is a {@link
   * KeyedElement}; otherwise it is a {@link WindowedValue}.
   */
  void process(Object element) throws Exception;

  /** Called once after the last input element: flush buffered work, finish the bundle. */
  default void finish() throws Exception {}

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
