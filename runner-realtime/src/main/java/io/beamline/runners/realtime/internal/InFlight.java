package io.beamline.runners.realtime.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts the items sent between tasks that are not yet settled — still queued, or taken by a task
 * whose bundle has not ended — so that a TestStream can wait for <em>quiescence</em> (nothing in
 * flight: every queue empty and every task idle) before its next event, as Beam's DirectRunner does
 * between TestStream events. Counting costs an atomic add per item, so only runs with a TestStream
 * count ({@link #NONE} elsewhere).
 *
 * <p>Threading: {@link #sent} and {@link #settled} from any task thread; {@link #awaitQuiescence}
 * from the one TestStream task.
 */
public class InFlight {
  /** Counts nothing; {@link #awaitQuiescence} must not be called. */
  public static final InFlight NONE =
      new InFlight() {
        @Override
        void sent(int items) {}

        @Override
        void tasksStarting(int tasks) {}

        @Override
        void settled(long items) {}
      };

  private final AtomicLong count = new AtomicLong();
  private volatile Thread waiter;

  /**
   * Counts the start of {@code tasks} tasks: a task that has not yet reached its first idle point
   * may still send its first watermark or end, so it counts as in flight until then.
   */
  void tasksStarting(int tasks) {
    count.addAndGet(tasks);
  }

  /** {@code items} were put into queues. */
  void sent(int items) {
    count.addAndGet(items);
  }

  /** {@code items} taken from queues were fully handled: their bundle ended. */
  void settled(long items) {
    if (items > 0 && count.addAndGet(-items) == 0) {
      Thread w = waiter;
      if (w != null) {
        LockSupport.unpark(w);
      }
    }
  }

  /**
   * Blocks until nothing is in flight or {@code stopped} says the run is over.
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  void awaitQuiescence(java.util.function.BooleanSupplier stopped) throws InterruptedException {
    waiter = Thread.currentThread();
    try {
      while (count.get() != 0 && !stopped.getAsBoolean()) {
        LockSupport.parkNanos(this, 10_000_000L);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
    } finally {
      waiter = null;
    }
  }
}
