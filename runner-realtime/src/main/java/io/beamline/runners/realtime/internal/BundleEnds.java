package io.beamline.runners.realtime.internal;

import java.util.Arrays;
import java.util.function.IntPredicate;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * How far a consumer task has taken its producers' bundles, channel by channel, and so how far its
 * synchronized processing time (Beam's {@code SYNCHRONIZED_PROCESSING_TIME}, the clock of
 * continuation triggers) may go: not past the {@link Channel.BundleEnd} stamp of a channel whose
 * current bundle is partly taken or still queued. DirectRunner's {@code WatermarkManager} holds it
 * the same way at its pending bundles' synchronized processing times; a producer's bundle there is
 * committed at once, here it arrives item by item, so without the hold a continuation trigger could
 * fire between an element and the watermark its producer sent right after it.
 *
 * <p>Threading: the consumer task's thread.
 */
final class BundleEnds {
  /** Per channel: items of a bundle were taken, its {@link Channel.BundleEnd} not yet. */
  private final boolean[] midBundle;
  /** Per channel: the stamp of the last {@link Channel.BundleEnd} taken; +∞ once ended. */
  private final Instant[] stamps;

  BundleEnds(int channels) {
    this.midBundle = new boolean[channels];
    this.stamps = new Instant[channels];
    Arrays.fill(stamps, BoundedWindow.TIMESTAMP_MIN_VALUE);
  }

  /** A record or watermark was taken from {@code channel}: part of a bundle. */
  void took(int channel) {
    midBundle[channel] = true;
  }

  /** {@code end} was taken from {@code channel}. */
  void took(int channel, Channel.BundleEnd end) {
    midBundle[channel] = false;
    stamps[channel] = end.synchronizedTime();
  }

  /** {@link Channel#END} was taken from {@code channel}: it holds nothing any more. */
  void ended(int channel) {
    midBundle[channel] = false;
    stamps[channel] = BoundedWindow.TIMESTAMP_MAX_VALUE;
  }

  /**
   * The synchronized processing time the channels allow at processing time {@code now}: {@code now},
   * or the earliest stamp of a channel that is mid-bundle or has items {@code queued}.
   */
  Instant held(Instant now, IntPredicate queued) {
    Instant held = now;
    for (int c = 0; c < stamps.length; c++) {
      if ((midBundle[c] || queued.test(c)) && stamps[c].isBefore(held)) {
        held = stamps[c];
      }
    }
    return held;
  }
}
