package io.beamline.runners.realtime.internal;

import static org.junit.Assert.assertEquals;

import io.beamline.sdk.internal.metrics.RunMetrics;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;
import org.junit.Test;

/** Synchronized processing time held back by producers' bundles that are not fully taken. */
public class BundleEndsTest {
  private static final Instant NOW = new Instant(10_000);
  private static final Channel.BundleEnd AT_100 = new Channel.BundleEnd(new Instant(100));
  private static final Channel.BundleEnd AT_200 = new Channel.BundleEnd(new Instant(200));

  private final BundleEnds ends = new BundleEnds(2);
  private final boolean[] queued = new boolean[2];

  private Instant held() {
    return ends.held(NOW, c -> queued[c]);
  }

  @Test
  public void aPartlyTakenBundleHoldsAtItsProducersLastBundleEnd() {
    assertEquals("nothing taken, nothing queued", NOW, held());
    ends.took(0);
    assertEquals("a record whose bundle has not ended", BoundedWindow.TIMESTAMP_MIN_VALUE, held());
    ends.took(0, AT_100);
    assertEquals(NOW, held());
    ends.took(0); // the next bundle's watermark, its end still to come
    ends.took(1, AT_200);
    assertEquals(new Instant(100), held());
    ends.took(0, AT_200);
    assertEquals(NOW, held());
  }

  @Test
  public void queuedItemsHoldAtTheLastBundleEndTaken() {
    ends.took(1, AT_200);
    queued[1] = true;
    assertEquals(new Instant(200), held());
    queued[1] = false;
    assertEquals(NOW, held());
  }

  @Test
  public void anEndedChannelHoldsNothing() {
    ends.took(0);
    ends.ended(0);
    queued[0] = true; // nothing can follow END; a stale emptiness check must not hold
    assertEquals(NOW, held());
  }

  @Test
  public void aChannelMarksTheEndOfABundleOnlyAfterItemsWereSent() {
    RunControl run =
        new RunControl(
            new RunControl.Settings(1000, 1000, 16),
            RealtimeClock.wallClock(),
            new RunMetrics(),
            InFlight.NONE);
    Channel channel = run.newInbox().addChannel(16);
    channel.endBundle(new Instant(1));
    assertEquals(List.of(), drain(channel));
    channel.put("record");
    channel.put(new Channel.Watermark(new Instant(5)));
    channel.endBundle(new Instant(7));
    channel.endBundle(new Instant(8));
    assertEquals(
        List.of("record", new Channel.Watermark(new Instant(5)), new Channel.BundleEnd(new Instant(7))),
        drain(channel));
  }

  private static List<Object> drain(Channel channel) {
    List<Object> items = new ArrayList<>();
    for (Object item = channel.poll(); item != null; item = channel.poll()) {
      items.add(item);
    }
    return items;
  }
}
