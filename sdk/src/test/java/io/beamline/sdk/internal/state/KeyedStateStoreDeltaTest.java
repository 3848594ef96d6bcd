package io.beamline.sdk.internal.state;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import io.beamline.sdk.internal.exchange.ByteKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.Test;

/**
 * A heap store restored from a whole snapshot and the deltas after it equals the store as it was:
 * changed keys replaced, emptied and evicted keys gone, a key evicted and used again present.
 */
public class KeyedStateStoreDeltaTest {
  private static final StateTag<ValueState<Long>> VALUE =
      StateTags.value("value", VarLongCoder.of());

  private final List<byte[]> chain = new ArrayList<>();

  private static ByteKey key(String key) throws Exception {
    return new ByteKey(CoderUtils.encodeToByteArray(StringUtf8Coder.of(), key));
  }

  private static ValueState<Long> value(KeyedStateStore store, String key) throws Exception {
    return store.get(key(key), key).state().state(StoreFixtures.GLOBAL, VALUE);
  }

  private void snapshot(KeyedStateStore store, boolean delta) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    if (delta) {
      store.snapshotDelta(new DataOutputStream(bytes), GlobalWindow.Coder.INSTANCE);
    } else {
      store.snapshot(new DataOutputStream(bytes), StringUtf8Coder.of(), GlobalWindow.Coder.INSTANCE);
    }
    chain.add(bytes.toByteArray());
  }

  private KeyedStateStore restored() throws IOException {
    KeyedStateStore[] stores = {new KeyedStateStore()};
    for (int i = 0; i < chain.size(); i++) {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(chain.get(i)));
      if (i == 0) {
        KeyedStateStore.restore(in, stores, StringUtf8Coder.of(), GlobalWindow.Coder.INSTANCE);
      } else {
        KeyedStateStore.applyDelta(in, stores, StringUtf8Coder.of(), GlobalWindow.Coder.INSTANCE);
      }
    }
    return stores[0];
  }

  @Test
  public void theChainGivesTheStoreAsItWas() throws Exception {
    KeyedStateStore store = new KeyedStateStore();
    value(store, "a").write(1L);
    value(store, "b").write(2L);
    value(store, "gone").write(3L);
    snapshot(store, false);

    value(store, "a").write(10L); // changed
    value(store, "gone").clear(); // emptied, then evicted between epochs
    value(store, "b").clear(); // emptied, evicted, then used again in the same delta
    store.evictIdle();
    value(store, "b").write(20L);
    value(store, "c").write(30L); // new
    assertEquals(5, store.dirtyCount()); // a, gone, b evicted and b again, c
    snapshot(store, true);

    value(store, "c").write(31L);
    snapshot(store, true);

    KeyedStateStore restored = restored();
    assertEquals(3, restored.size());
    assertEquals(Long.valueOf(10L), value(restored, "a").read());
    assertEquals(Long.valueOf(20L), value(restored, "b").read());
    assertEquals(Long.valueOf(31L), value(restored, "c").read());
    assertNull(value(restored, "gone").read());
  }

  @Test
  public void aDeltaHoldsOnlyTheKeysUsedSinceTheLastSnapshot() throws Exception {
    KeyedStateStore store = new KeyedStateStore();
    for (int i = 0; i < 100; i++) {
      value(store, "k" + i).write((long) i);
    }
    snapshot(store, false);
    assertEquals(0, store.dirtyCount());
    value(store, "k7").write(700L);
    snapshot(store, true);
    assertEquals(0, store.dirtyCount());
    // one key: far smaller than the 100-key snapshot
    assertTrue(chain.get(1).length * 20 < chain.get(0).length);
    assertEquals(Long.valueOf(700L), value(restored(), "k7").read());
    assertEquals(Long.valueOf(8L), value(restored(), "k8").read());
  }

  @Test
  public void evictingAmongTheUsedKeysDropsWhatAWalkOfAllKeysDrops() throws Exception {
    KeyedStateStore walked = new KeyedStateStore();
    KeyedStateStore amongUsed = new KeyedStateStore();
    for (KeyedStateStore store : List.of(walked, amongUsed)) {
      for (int i = 0; i < 10; i++) {
        value(store, "k" + i).write((long) i);
      }
      snapshot(store, false);
      value(store, "k1").clear(); // idle now
      value(store, "k2").clear(); // idle, then used again: a new state
      value(store, "k3").write(30L);
    }
    walked.evictIdle();
    amongUsed.evictIdleAmongUsed();
    for (KeyedStateStore store : List.of(walked, amongUsed)) {
      value(store, "k2").write(20L);
    }
    amongUsed.evictIdleAmongUsed(); // the first k2 is evicted already, the second is not idle
    assertEquals(9, walked.size());
    assertEquals(walked.size(), amongUsed.size());
    assertEquals(walked.dirtyCount(), amongUsed.dirtyCount()); // k1, k2 evicted and k2, k3
    snapshot(walked, true);
    snapshot(amongUsed, true);
    assertArrayEquals(chain.get(chain.size() - 2), chain.get(chain.size() - 1));
  }
}
