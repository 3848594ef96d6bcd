package io.beamline.sdk.internal.state;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.beamline.sdk.internal.exchange.ByteKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Instant;
import org.junit.Test;

/**
 * A keyed store's index ({@link KeyedIndex}): the timer bounds say when no key can fire, and the
 * earliest hold follows keys' holds as they are used, evicted and restored — equal to a scan of
 * every key.
 */
public class KeyedIndexTest {
  private final KeyedStateStore store = new KeyedStateStore();

  private static ByteKey encoded(String key) throws Exception {
    return new ByteKey(CoderUtils.encodeToByteArray(StringUtf8Coder.of(), key));
  }

  private KeyedStateStore.KeyState key(String key) throws Exception {
    return store.get(encoded(key), key);
  }

  private static TimerData timer(String id, long at, long output, TimeDomain domain) {
    return TimerData.of(id, StoreFixtures.GLOBAL, new Instant(at), new Instant(output), domain);
  }

  private WatermarkHoldState hold(String key) throws Exception {
    return key(key)
        .state()
        .state(StoreFixtures.GLOBAL, StateTags.watermarkStateInternal("hold", TimestampCombiner.EARLIEST));
  }

  /** The earliest hold as the store computed it before the index: a scan of every key. */
  private Instant scan() {
    Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (KeyedStateStore.KeyState k : store.all()) {
      Instant state = k.heap().earliestHold();
      Instant timers = k.timers().earliestHold();
      Instant held = state.isBefore(timers) ? state : timers;
      earliest = held.isBefore(earliest) ? held : earliest;
    }
    return earliest;
  }

  @Test
  public void noKeyIsDueBeforeTheEarliestTimerOfItsDomain() throws Exception {
    Instant never = BoundedWindow.TIMESTAMP_MIN_VALUE;
    assertFalse(store.timersMayFire(new Instant(1_000), new Instant(1_000), new Instant(1_000)));
    key("a").timers().setTimer(timer("t", 100, 100, TimeDomain.EVENT_TIME));
    key("b").timers().setTimer(timer("p", 500, 0, TimeDomain.PROCESSING_TIME));
    assertFalse(store.timersMayFire(new Instant(99), new Instant(499), new Instant(499)));
    assertTrue("event time reached", store.timersMayFire(new Instant(100), never, never));
    assertTrue("processing time reached", store.timersMayFire(never, new Instant(500), new Instant(500)));

    // a deleted timer leaves the bound low until the keys are visited, which makes it exact
    key("a").timers().deleteTimer(timer("t", 100, 100, TimeDomain.EVENT_TIME));
    assertTrue(store.timersMayFire(new Instant(100), never, never));
    store.resetTimerBounds();
    store.all().forEach(store::boundTimers);
    assertFalse(store.timersMayFire(new Instant(1_000_000), new Instant(499), new Instant(499)));
    assertTrue(store.timersMayFire(never, new Instant(500), new Instant(500)));
  }

  @Test
  public void synchronizedTimersWaitForTheSynchronizedClockAlone() throws Exception {
    Instant never = BoundedWindow.TIMESTAMP_MIN_VALUE;
    key("c").timers().setTimer(timer("s", 300, 0, TimeDomain.SYNCHRONIZED_PROCESSING_TIME));
    // processing time past it is not enough while upstream holds synchronized time back
    assertFalse(store.timersMayFire(never, new Instant(1_000), new Instant(299)));
    assertFalse(key("c").timers().mayFire(never, new Instant(1_000), new Instant(299)));
    assertTrue(store.timersMayFire(never, never, new Instant(300)));
    assertTrue(key("c").timers().mayFire(never, never, new Instant(300)));
    store.resetTimerBounds();
    store.all().forEach(store::boundTimers);
    assertFalse(store.timersMayFire(never, new Instant(1_000), new Instant(299)));
    assertEquals(new Instant(300), store.earliestProcessingTimer());
  }

  @Test
  public void theEarliestHoldFollowsUsedEvictedAndRestoredKeys() throws Exception {
    assertEquals(BoundedWindow.TIMESTAMP_MAX_VALUE, store.earliestHold());
    hold("a").add(new Instant(50));
    key("b").timers().setTimer(timer("t", 200, 30, TimeDomain.EVENT_TIME));
    key("c");
    assertEquals(new Instant(30), store.earliestHold());
    assertEquals(scan(), store.earliestHold());

    // b's timer goes (its key is used to do so): a's hold is the earliest again
    key("b").timers().deleteTimer(timer("t", 200, 30, TimeDomain.EVENT_TIME));
    assertEquals(new Instant(50), store.earliestHold());

    // a's hold is cleared: nothing holds; empty keys are evicted
    hold("a").clear();
    assertEquals(BoundedWindow.TIMESTAMP_MAX_VALUE, store.earliestHold());
    hold("d").add(new Instant(70));
    store.evictIdle();
    assertEquals(new Instant(70), store.earliestHold());
    assertEquals(scan(), store.earliestHold());

    // restored from a snapshot, a store has the same earliest hold
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    store.snapshot(new DataOutputStream(bytes), StringUtf8Coder.of(), GlobalWindow.Coder.INSTANCE);
    KeyedStateStore[] restored = {new KeyedStateStore()};
    KeyedStateStore.restore(
        new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())),
        restored,
        StringUtf8Coder.of(),
        GlobalWindow.Coder.INSTANCE);
    assertEquals(new Instant(70), restored[0].earliestHold());
  }
}
