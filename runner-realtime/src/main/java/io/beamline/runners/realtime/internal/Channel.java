package io.beamline.runners.realtime.internal;

import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.SpscArrayQueue;
import org.joda.time.Instant;

/**
 * The queue from one producer task to one consumer task of an exchange: a bounded JCTools {@link
 * SpscArrayQueue} of encoded records ({@code ExchangeCodec} output) and control items ({@link
 * Watermark}, {@link BundleEnd}, {@link Barrier}, {@link #END}), in the order the producer sent
 * them, so a watermark always follows the records before it, a {@link BundleEnd} everything its
 * bundle sent and a {@link Barrier} everything of its checkpoint's epoch.
 *
 * <p><b>Backpressure</b>: {@link #put} on a full queue waits (spin, yield, then park for 50 µs at a
 * time) until the consumer has taken an item: the producer's thread stops, and with it whatever
 * feeds it, up to the source. Nothing is buffered beyond the capacity, nothing is dropped.
 *
 * <p>Threading: one producer thread calls {@link #put}, one consumer thread {@link #poll}.
 */
public final class Channel {
  /** The producer's output watermark from here on. */
  public record Watermark(Instant value) {}

  /**
   * The producer ended a bundle: the items since the last one (records, a watermark) are complete,
   * produced at synchronized processing time {@code synchronizedTime} or before. Until the consumer
   * has taken it, its synchronized processing time stays at the last one's (see {@code
   * ExchangeTask}), so an element and the watermark sent after it in one bundle are never told apart
   * by a continuation trigger, as on DirectRunner, where a bundle's output is committed at once.
   */
  public record BundleEnd(Instant synchronizedTime) {}

  /**
   * Checkpoint barrier {@code epoch}: everything before it on the channel belongs to epoch {@code
   * epoch}, everything after to the next (Flink's asynchronous barrier snapshotting, Carbone et al.
   * 2015, with aligned barriers). Coming from the run's {@code CheckpointCoordinator} it is also the
   * control message that makes a source task take the checkpoint ({@link Inbox#control}).
   *
   * @param delta whether tasks snapshot only the keys used since their last image (else whole)
   */
  public record Barrier(long epoch, boolean delta) implements Inbox.Control {}

  /** The producer is done: nothing follows. */
  public static final Object END =
      new Object() {
        @Override
        public String toString() {
          return "END";
        }
      };

  private final SpscArrayQueue<Object> queue;
  private final Inbox consumer;
  private final int index;
  private final RunControl run;
  /** Nanoseconds producers spent waiting for room: backpressure. */
  private volatile long blockedNanos;
  /** Producer side: items were put since the last {@link BundleEnd}. */
  private boolean unmarked;
  /**
   * Consumer side: the consumer does not take from this channel now (it delivered a {@link
   * Barrier} and others have not yet), so what waits here does not count as input to wake for.
   */
  private boolean blocked;

  /**
   * @param capacity items the queue holds (rounded up to a power of two by JCTools)
   * @param index this channel's position among the consumer's channels
   */
  Channel(int capacity, Inbox consumer, int index, RunControl run) {
    this.queue = new SpscArrayQueue<>(capacity);
    this.consumer = consumer;
    this.index = index;
    this.run = run;
  }

  int index() {
    return index;
  }

  /**
   * Sends {@code item}, waiting while the queue is full.
   *
   * @throws CancellationException if the run stops (a failure elsewhere, or cancel) while waiting
   */
  void put(Object item) {
    run.inFlight().sent(1);
    if (!queue.offer(item)) {
      waitToPut(item);
    }
    unmarked = true;
    consumer.wake();
  }

  /**
   * The producer ended a bundle at synchronized processing time {@code synchronizedTime}: sends a
   * {@link BundleEnd} if anything was put since the last one.
   *
   * @throws CancellationException as {@link #put}
   */
  void endBundle(Instant synchronizedTime) {
    if (unmarked) {
      put(new BundleEnd(synchronizedTime));
      unmarked = false;
    }
  }

  private void waitToPut(Object item) {
    long start = System.nanoTime();
    int attempts = 0;
    do {
      if (run.isStopped()) {
        throw new CancellationException("the run stopped");
      }
      consumer.wake();
      if (attempts < 100) {
        Thread.onSpinWait();
      } else if (attempts < 110) {
        Thread.yield();
      } else {
        LockSupport.parkNanos(this, 50_000L);
      }
      attempts++;
    } while (!queue.offer(item));
    blockedNanos += System.nanoTime() - start;
  }

  /** The next item, or null if the queue is empty. */
  Object poll() {
    return queue.relaxedPoll();
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  /** Consumer side: stops or resumes taking from this channel (barrier alignment). */
  void setBlocked(boolean blocked) {
    this.blocked = blocked;
  }

  /** Consumer side: true while the consumer takes nothing from this channel. */
  boolean isBlocked() {
    return blocked;
  }

  /** Items in the queue now (approximate while both sides run). */
  int size() {
    return queue.size();
  }

  int capacity() {
    return queue.capacity();
  }

  /** Nanoseconds the producer has waited for room so far. */
  long blockedNanos() {
    return blockedNanos;
  }
}
