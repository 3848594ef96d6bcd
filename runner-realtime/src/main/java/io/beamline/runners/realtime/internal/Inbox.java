package io.beamline.runners.realtime.internal;

import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * What one task receives: its input {@link Channel}s (one per producer task that can route to it)
 * and control messages from the run (processing time moved, side inputs changed, a checkpoint
 * barrier to inject). The task's thread
 * parks here when there is nothing to do; producers and the run wake it.
 *
 * <p>Threading: channels are added while the run is wired (one thread), before any task starts;
 * then {@link #park} runs on the owning task's thread, {@link #wake} and {@link #control} on any.
 */
public final class Inbox {
  /** A control message: a {@link Signal}, or a {@link Channel.Barrier} to a source task. */
  interface Control {}

  /** Control messages without content. */
  enum Signal implements Control {
    /** The processing-time clock moved (a TestStream's synthetic clock). */
    PROCESSING_TIME,
    /** A side input this task reads got data or a new watermark. */
    SIDE_INPUTS
  }

  private final List<Channel> channels = new ArrayList<>();
  private final ConcurrentLinkedQueue<Control> control = new ConcurrentLinkedQueue<>();
  private final RunControl run;
  private volatile Thread owner;
  private volatile boolean parked;
  private boolean closed; // guarded by control

  Inbox(RunControl run) {
    this.run = run;
  }

  /** Adds an input channel from a producer task; wiring only. */
  Channel addChannel(int capacity) {
    Channel channel = new Channel(capacity, this, channels.size(), run);
    channels.add(channel);
    return channel;
  }

  List<Channel> channels() {
    return channels;
  }

  /** Sends a control message to the task; dropped once the task has ended. */
  void control(Control message) {
    synchronized (control) {
      if (closed) {
        return;
      }
      run.inFlight().sent(1);
      control.add(message);
    }
    wake();
  }

  /** The task has ended: control messages waiting or sent from now on are dropped (settled). */
  void close() {
    int dropped;
    synchronized (control) {
      closed = true;
      dropped = control.size();
      control.clear();
    }
    run.inFlight().settled(dropped);
  }

  /** The next control message, or null. */
  Control pollControl() {
    return control.poll();
  }

  void setOwner(Thread thread) {
    this.owner = thread;
  }

  /** Wakes the task if it is parked. */
  void wake() {
    VarHandle.fullFence(); // the item sent before must be visible before parked is read
    if (parked) {
      Thread thread = owner;
      if (thread != null) {
        LockSupport.unpark(thread);
      }
    }
  }

  /**
   * Parks the owning thread for at most {@code nanos} unless input (on a channel it is not blocked
   * on, see {@link Channel#setBlocked}) or control messages are waiting; returns early when woken.
   */
  void park(long nanos) {
    parked = true;
    VarHandle.fullFence();
    try {
      if (control.isEmpty() && allEmpty() && !run.isStopped()) {
        LockSupport.parkNanos(this, nanos);
      }
    } finally {
      parked = false;
    }
  }

  private boolean allEmpty() {
    for (Channel channel : channels) {
      if (!channel.isBlocked() && !channel.isEmpty()) {
        return false;
      }
    }
    return true;
  }
}
