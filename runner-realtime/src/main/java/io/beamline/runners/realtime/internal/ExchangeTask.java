package io.beamline.runners.realtime.internal;

import io.beamline.sdk.internal.exchange.ExchangeCodec;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * A task fed by an exchange: takes items from its channels round-robin, at most {@value #BATCH} from
 * one channel at a time so no producer starves the others, decodes records and gives them to the
 * stage, and keeps one watermark per channel; its input watermark is the minimum over them (an
 * ended channel counts as +∞). With nothing waiting it ends the bundle and parks until a producer
 * wakes it, the open bundle's time is up, or — on the wall clock — a processing-time tick is due.
 *
 * <p><b>Synchronized processing time</b> (the clock of continuation triggers) is the processing
 * time held back at channels whose producer's bundle is partly taken or still queued ({@link
 * BundleEnds}). A producer busy with a long timer, its bundles all taken, holds nothing (on
 * DirectRunner neither).
 *
 * <p><b>Barrier alignment</b>: once a channel delivered checkpoint barrier N, the task takes nothing
 * more from it (its records of N+1 wait in the queue, {@link Channel#setBlocked}) until every live
 * channel has delivered N; an ended channel counts as aligned. Then it takes the checkpoint ({@link
 * #atBarrier}) and reads every channel again. No unaligned snapshots: in-flight records would be
 * channel state, which MicroBatchRunner's checkpoint format cannot hold.
 *
 * <p>Threading: its own thread (see {@link TaskThread}).
 */
final class ExchangeTask extends TaskThread {
  private static final int BATCH = 256;
  private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final ExchangeCodec codec;
  private final Channel[] channels;
  private final Instant[] channelWatermarks;
  private final BundleEnds bundleEnds;
  private int live;
  /** The barrier being aligned, or null; and the live channels that delivered it. */
  private Channel.@Nullable Barrier aligning;
  private int aligned;

  ExchangeTask(TaskThread.Parts parts, ExchangeCodec codec) {
    super(parts);
    this.codec = codec;
    this.channels = inbox.channels().toArray(new Channel[0]);
    this.channelWatermarks = new Instant[channels.length];
    Arrays.fill(channelWatermarks, BoundedWindow.TIMESTAMP_MIN_VALUE);
    this.bundleEnds = new BundleEnds(channels.length);
    this.live = channels.length;
  }

  @Override
  protected void body() throws Exception {
    int start = 0;
    if (live == 0) {
      advanceInputWatermark(BoundedWindow.TIMESTAMP_MAX_VALUE);
    }
    while (live > 0) {
      if (run.isStopped()) {
        throw new CancellationException("the run stopped");
      }
      tick();
      boolean progress = handleControl(channelWatermark());
      boolean watermarkMoved = false;
      int room = bundleRoom();
      for (int i = 0; i < channels.length && room > 0; i++) {
        int c = (start + i) % channels.length;
        Channel channel = channels[c];
        for (int n = 0; n < BATCH && room > 0 && !channel.isBlocked(); n++) {
          Object item = channel.poll();
          if (item == null) {
            break;
          }
          progress = true;
          unsettled++;
          if (item instanceof Channel.Watermark watermark) {
            channelWatermarks[c] = watermark.value();
            bundleEnds.took(c);
            watermarkMoved = true;
          } else if (item instanceof Channel.BundleEnd end) {
            bundleEnds.took(c, end);
          } else if (item instanceof Channel.Barrier barrier) {
            align(channel, barrier);
          } else if (item == Channel.END) {
            channelWatermarks[c] = BoundedWindow.TIMESTAMP_MAX_VALUE;
            bundleEnds.ended(c);
            live--;
            watermarkMoved = true;
            break;
          } else {
            bundleEnds.took(c);
            Object element = codec.decode(item);
            processElement(element);
            finished(element);
            room--;
          }
        }
      }
      start = (start + 1) % Math.max(1, channels.length);
      if (watermarkMoved) {
        advanceInputWatermark(channelWatermark());
      }
      if (aligning != null && aligned == live) {
        atBarrier(aligning, -1, null);
        aligning = null;
        aligned = 0;
        for (Channel blocked : channels) {
          blocked.setBlocked(false);
        }
      } else if (shouldEndBundle(!progress, watermarkMoved)) {
        endBundle();
      }
      if (!progress) {
        inbox.park(nanosToBundleEnd(IDLE_PARK_NANOS));
      }
    }
  }

  /** {@code channel} delivered {@code barrier}: it is blocked until the others deliver it too. */
  private void align(Channel channel, Channel.Barrier barrier) {
    if (aligning != null && aligning.epoch() != barrier.epoch()) {
      throw new IllegalStateException(
          "Barrier " + barrier.epoch() + " arrived while aligning barrier " + aligning.epoch());
    }
    aligning = barrier;
    aligned++;
    channel.setBlocked(true);
  }

  @Override
  protected Instant heldSynchronizedTime(Instant now) {
    return bundleEnds.held(now, c -> !channels[c].isEmpty());
  }

  private Instant channelWatermark() {
    Instant min = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (Instant watermark : channelWatermarks) {
      min = watermark.isBefore(min) ? watermark : min;
    }
    return min;
  }
}
