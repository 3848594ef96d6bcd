package io.beamline.sdk.internal.state;

import static io.beamline.sdk.internal.state.StoreFixtures.GLOBAL;
import static io.beamline.sdk.internal.state.StoreFixtures.operator;
import static io.beamline.sdk.internal.state.StoreFixtures.prefix;
import static io.beamline.sdk.internal.state.StoreFixtures.window;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.emptyIterable;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.state.CombiningState;
import org.joda.time.Instant;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Store-level behaviour: key isolation, the hold index, checkpoints and the raw area. */
public class RocksDbStoreTest {
  private static final StateTag<ValueState<String>> VALUE =
      StateTags.value("value", StringUtf8Coder.of());
  private static final StateTag<BagState<String>> BAG = StateTags.bag("bag", StringUtf8Coder.of());
  private static final StateTag<MapState<String, Integer>> MAP =
      StateTags.map("map", StringUtf8Coder.of(), VarIntCoder.of());
  private static final StateTag<CombiningState<Integer, int[], Integer>> SUM =
      StateTags.combiningValueFromInputInternal("sum", VarIntCoder.of(), Sum.ofIntegers());
  private static final StateTag<WatermarkHoldState> HOLD =
      StateTags.watermarkStateInternal("hold", TimestampCombiner.EARLIEST);
  private static final StateTag<WatermarkHoldState> LATEST_HOLD =
      StateTags.watermarkStateInternal("latestHold", TimestampCombiner.LATEST);

  @Rule public final TemporaryFolder folder = new TemporaryFolder();

  private RocksDbStore store;

  @Before
  public void open() throws IOException {
    store = RocksDbStore.open(folder.newFolder("db").toPath());
  }

  @After
  public void close() {
    store.close();
  }

  @Test
  public void keysWhoseEncodingsSharePrefixesDoNotSeeEachOthersState() {
    StateInternals a = store.stateInternals(prefix(1, "a"), "a");
    StateInternals ab = store.stateInternals(prefix(1, "ab"), "ab");
    StateInternals otherOperator = store.stateInternals(prefix(2, "a"), "a");

    a.state(GLOBAL, VALUE).write("of a");
    a.state(GLOBAL, BAG).add("bag of a");
    a.state(GLOBAL, MAP).put("m", 1);
    ab.state(GLOBAL, BAG).add("bag of ab");

    assertNull(ab.state(GLOBAL, VALUE).read());
    assertThat(ab.state(GLOBAL, BAG).read(), contains("bag of ab"));
    assertTrue(ab.state(GLOBAL, MAP).isEmpty().read());
    assertNull(otherOperator.state(GLOBAL, VALUE).read());
    assertThat(otherOperator.state(GLOBAL, BAG).read(), emptyIterable());

    a.state(GLOBAL, BAG).clear();
    assertThat(ab.state(GLOBAL, BAG).read(), contains("bag of ab"));

    assertTrue(store.hasState(prefix(1, "a")));
    assertTrue(store.hasState(prefix(1, "ab")));
    assertFalse(store.hasState(prefix(2, "a")));
    a.state(GLOBAL, VALUE).clear();
    a.state(GLOBAL, MAP).clear();
    assertFalse(store.hasState(prefix(1, "a")));
    assertTrue(store.hasState(prefix(1, "ab")));
  }

  @Test
  public void earliestHoldIsTheMinimumOverKeysAndNamespacesOfOneOperator() {
    StateInternals k1 = store.stateInternals(prefix(1, "k1"), "k1");
    StateInternals k2 = store.stateInternals(prefix(1, "k2"), "k2");
    StateInternals otherOperator = store.stateInternals(prefix(2, "k1"), "k1");
    assertNull(store.earliestHold(operator(1)));

    k1.state(window(0, 10), HOLD).add(new Instant(5_000));
    k1.state(window(10, 20), HOLD).add(new Instant(7_000));
    k2.state(GLOBAL, HOLD).add(new Instant(3_000));
    otherOperator.state(GLOBAL, HOLD).add(new Instant(1_000));
    assertEquals(new Instant(3_000), store.earliestHold(operator(1)));
    assertEquals(new Instant(1_000), store.earliestHold(operator(2)));

    // an EARLIEST hold moves back, and the index moves with it
    k1.state(window(0, 10), HOLD).add(new Instant(2_000));
    assertEquals(new Instant(2_000), store.earliestHold(operator(1)));
    k1.state(window(0, 10), HOLD).clear();
    assertEquals(new Instant(3_000), store.earliestHold(operator(1)));
    k2.state(GLOBAL, HOLD).clear();
    assertEquals(new Instant(7_000), store.earliestHold(operator(1)));
    k1.state(window(10, 20), HOLD).clear();
    assertNull(store.earliestHold(operator(1)));
    assertEquals(new Instant(1_000), store.earliestHold(operator(2)));
  }

  @Test
  public void holdGroupsKeepKeysOfOneOperatorApartAndRegroupingMovesThem() {
    byte[] group0 = CellKeys.concat(operator(1));
    byte[] group1 = CellKeys.longBytes(1L << 32 | 1); // another 8-byte group
    StateInternals a = store.stateInternals(prefix(1, "a"), "a", group0);
    StateInternals b = store.stateInternals(prefix(1, "b"), "b", group1);
    a.state(GLOBAL, HOLD).add(new Instant(5_000));
    b.state(GLOBAL, HOLD).add(new Instant(3_000));
    assertEquals(new Instant(5_000), store.earliestHold(group0));
    assertEquals(new Instant(3_000), store.earliestHold(group1));
    assertThrows(
        IllegalArgumentException.class, () -> store.stateInternals(prefix(1, "c"), "c", new byte[4]));

    // everything into one group, as a run with one partition would file them
    store.regroupHolds(cellKey -> group0);
    assertEquals(new Instant(3_000), store.earliestHold(group0));
    assertNull(store.earliestHold(group1));
    // and back: b's hold, cleared through its group after the move, leaves no index entry
    store.regroupHolds(cellKey -> CellKeys.startsWith(cellKey, prefix(1, "b")) ? group1 : group0);
    assertEquals(new Instant(5_000), store.earliestHold(group0));
    b.state(GLOBAL, HOLD).clear();
    assertNull(store.earliestHold(group1));
    assertEquals(new Instant(5_000), store.earliestHold(group0));
  }

  @Test
  public void aLatestHoldThatMovesForwardLeavesNoStaleIndexEntry() {
    WatermarkHoldState hold =
        store.stateInternals(prefix(1, "k"), "k").state(GLOBAL, LATEST_HOLD);
    hold.add(new Instant(-1_000)); // negative timestamps sort before positive ones
    assertEquals(new Instant(-1_000), store.earliestHold(operator(1)));
    hold.add(new Instant(4_000));
    hold.add(new Instant(2_000));
    assertEquals(new Instant(4_000), hold.read());
    assertEquals(new Instant(4_000), store.earliestHold(operator(1)));
  }

  @Test
  public void earliestHoldNeedsAnEightByteOperatorPrefix() {
    assertThrows(IllegalArgumentException.class, () -> store.earliestHold(new byte[4]));
  }

  @Test
  public void restoredCheckpointHasTheStateAtCheckpointTimeAndNotLaterWrites() throws IOException {
    StateInternals k = store.stateInternals(prefix(1, "k"), "k");
    k.state(GLOBAL, VALUE).write("before");
    k.state(GLOBAL, BAG).add("b1");
    k.state(GLOBAL, MAP).put("m", 1);
    k.state(GLOBAL, SUM).add(4);
    k.state(GLOBAL, HOLD).add(new Instant(500));
    store.put(bytes("timer/1"), bytes("t1"));
    Path checkpoint = folder.getRoot().toPath().resolve("checkpoints").resolve("1");
    store.checkpoint(checkpoint);

    k.state(GLOBAL, VALUE).write("after");
    k.state(GLOBAL, BAG).add("b2");
    k.state(GLOBAL, MAP).remove("m");
    k.state(GLOBAL, SUM).add(10);
    k.state(GLOBAL, HOLD).clear();
    store.put(bytes("timer/2"), bytes("t2"));
    assertThrows(IllegalArgumentException.class, () -> store.checkpoint(checkpoint));

    for (int restore = 0; restore < 2; restore++) { // a checkpoint can be restored repeatedly
      Path directory = folder.getRoot().toPath().resolve("restored" + restore);
      try (RocksDbStore restored = RocksDbStore.restore(checkpoint, directory)) {
        StateInternals r = restored.stateInternals(prefix(1, "k"), "k");
        assertEquals("before", r.state(GLOBAL, VALUE).read());
        assertThat(r.state(GLOBAL, BAG).read(), contains("b1"));
        assertEquals(Integer.valueOf(1), r.state(GLOBAL, MAP).get("m").read());
        assertEquals(Integer.valueOf(4), r.state(GLOBAL, SUM).read());
        assertEquals(new Instant(500), restored.earliestHold(operator(1)));
        assertArrayEquals(bytes("t1"), restored.get(bytes("timer/1")));
        assertNull(restored.get(bytes("timer/2")));

        // the restored copy is independent of the checkpoint and of the original
        r.state(GLOBAL, BAG).add("restored-only");
        assertThat(r.state(GLOBAL, BAG).read(), contains("b1", "restored-only"));
      }
    }

    assertEquals("after", k.state(GLOBAL, VALUE).read());
    assertThat(k.state(GLOBAL, BAG).read(), contains("b1", "b2"));
    assertEquals(Integer.valueOf(14), k.state(GLOBAL, SUM).read());
    assertNull(store.earliestHold(operator(1)));
  }

  @Test
  public void anOverlaysWritesStayOutOfOtherThreadsAndCheckpointsUntilApplied() throws Exception {
    StateInternals k = store.stateInternals(prefix(1, "k"), "k");
    k.state(GLOBAL, VALUE).write("before");
    k.state(GLOBAL, BAG).add("b1");
    k.state(GLOBAL, HOLD).add(new Instant(500));
    store.put(bytes("timer/1"), bytes("t1"));
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      RocksDbStore.Overlay overlay = store.overlayThisThread();
      assertThrows(IllegalStateException.class, store::overlayThisThread);
      k.state(GLOBAL, VALUE).write("after");
      k.state(GLOBAL, BAG).add("b2");
      k.state(GLOBAL, MAP).put("m", 1);
      k.state(GLOBAL, HOLD).clear();
      k.state(window(0, 10), HOLD).add(new Instant(700));
      store.put(bytes("timer/2"), bytes("t2"));
      store.delete(bytes("timer/1"));

      // this thread reads through its overlay
      assertEquals("after", k.state(GLOBAL, VALUE).read());
      assertThat(k.state(GLOBAL, BAG).read(), contains("b1", "b2"));
      assertEquals(new Instant(700), store.earliestHold(operator(1)));
      assertNull(store.get(bytes("timer/1")));
      assertThat(overlay.size(), greaterThan(0));

      // another thread, and a checkpoint, see only what was written before the overlay
      StateInternals seen = store.stateInternals(prefix(1, "k"), "k");
      assertEquals("before", other.submit(() -> seen.state(GLOBAL, VALUE).read()).get());
      assertEquals(new Instant(500), other.submit(() -> store.earliestHold(operator(1))).get());
      Path before = folder.getRoot().toPath().resolve("before");
      store.checkpoint(before);
      try (RocksDbStore restored = RocksDbStore.restore(before, folder.newFolder("r1").toPath())) {
        StateInternals r = restored.stateInternals(prefix(1, "k"), "k");
        assertEquals("before", r.state(GLOBAL, VALUE).read());
        assertThat(r.state(GLOBAL, BAG).read(), contains("b1"));
        assertTrue(r.state(GLOBAL, MAP).isEmpty().read());
        assertEquals(new Instant(500), restored.earliestHold(operator(1)));
        assertArrayEquals(bytes("t1"), restored.get(bytes("timer/1")));
      }

      // applied from another thread (a task that ended hands its overlay over)
      other.submit(() -> {
            overlay.apply();
            return null;
          })
          .get();
      assertEquals(0, overlay.size());
      assertEquals("after", other.submit(() -> seen.state(GLOBAL, VALUE).read()).get());
      Path after = folder.getRoot().toPath().resolve("after");
      store.checkpoint(after);
      try (RocksDbStore restored = RocksDbStore.restore(after, folder.newFolder("r2").toPath())) {
        StateInternals r = restored.stateInternals(prefix(1, "k"), "k");
        assertEquals("after", r.state(GLOBAL, VALUE).read());
        assertThat(r.state(GLOBAL, BAG).read(), contains("b1", "b2"));
        assertEquals(Integer.valueOf(1), r.state(GLOBAL, MAP).get("m").read());
        assertEquals(new Instant(700), restored.earliestHold(operator(1)));
        assertNull(restored.get(bytes("timer/1")));
        assertArrayEquals(bytes("t2"), restored.get(bytes("timer/2")));
      }
    } finally {
      other.shutdown();
    }
  }

  @Test
  public void clearingAndScanningThroughAnOverlayMatchesTheDatabase() throws IOException {
    StateInternals k = store.stateInternals(prefix(1, "k"), "k");
    StateInternals next = store.stateInternals(prefix(1, "l"), "l");
    for (int i = 0; i < 100; i++) { // more than a point-delete clear handles
      k.state(GLOBAL, BAG).add("old " + i);
    }
    next.state(GLOBAL, BAG).add("of l");
    store.overlayThisThread();
    for (int i = 0; i < 100; i++) {
      k.state(GLOBAL, BAG).add("new " + i);
    }
    next.state(GLOBAL, BAG).add("of l, overlaid");
    assertEquals(200, size(k.state(GLOBAL, BAG).read()));

    // the scan of k's bag stops at its end, though the overlay has entries of l after it
    k.state(GLOBAL, BAG).clear();
    assertThat(k.state(GLOBAL, BAG).read(), emptyIterable());
    assertTrue(k.state(GLOBAL, BAG).isEmpty().read());
    assertThat(next.state(GLOBAL, BAG).read(), contains("of l", "of l, overlaid"));
    k.state(GLOBAL, BAG).add("again");
    assertThat(k.state(GLOBAL, BAG).read(), contains("again"));
  }

  private static int size(Iterable<?> values) {
    int n = 0;
    for (Object ignored : values) {
      n++;
    }
    return n;
  }

  @Test
  public void restoreRefusesANonEmptyDirectoryAndANonCheckpoint() throws IOException {
    Path checkpoint = folder.getRoot().toPath().resolve("cp");
    store.checkpoint(checkpoint);
    Path used = folder.newFolder("used").toPath();
    Files.writeString(used.resolve("something"), "x");
    assertThrows(IllegalArgumentException.class, () -> RocksDbStore.restore(checkpoint, used));
    assertThrows(
        IllegalArgumentException.class,
        () -> RocksDbStore.restore(folder.newFolder("empty").toPath(), used.resolve("new")));
  }

  @Test
  public void rawAreaPutGetDeleteAndOrderedScan() {
    store.put(bytes("t/3"), bytes("three"));
    store.put(bytes("t/1"), bytes("one"));
    store.put(bytes("t/2"), bytes("two"));
    store.put(bytes("u/1"), bytes("other"));
    store.put(bytes("t/2"), bytes("TWO"));
    store.delete(bytes("t/3"));
    store.delete(bytes("absent"));

    assertArrayEquals(bytes("TWO"), store.get(bytes("t/2")));
    assertNull(store.get(bytes("t/3")));
    List<String> seen = new ArrayList<>();
    store.scan(bytes("t/"), bytes("t0"), (k, v) -> seen.add(string(k) + "=" + string(v)));
    assertEquals(List.of("t/1=one", "t/2=TWO"), seen);

    // the raw area is not state
    byte[] statePrefix = prefix(1, "k");
    store.put(statePrefix, bytes("raw"));
    assertFalse(store.hasState(statePrefix));
    assertNull(store.stateInternals(statePrefix, "k").state(GLOBAL, VALUE).read());
  }

  @Test
  public void sizeAndCellCountGrowWithState() throws IOException {
    StateInternals k = store.stateInternals(prefix(1, "k"), "k");
    for (int i = 0; i < 1_000; i++) {
      k.state(GLOBAL, BAG).add("element " + i);
    }
    store.checkpoint(folder.getRoot().toPath().resolve("flushes")); // flushes memtables
    assertThat(store.approximateSizeBytes(), greaterThan(1_000L));
    assertThat(store.approximateCellCount(), greaterThan(500L)); // one entry per element
  }

  @Test
  public void threadsWorkingOnDifferentKeysDoNotInterfere() throws Exception {
    int threads = 4;
    int perThread = 2_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int partition = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    String key = "k" + (i % 10);
                    StateInternals state = store.stateInternals(prefix(partition, key), key);
                    state.state(GLOBAL, BAG).add("p" + partition + "-" + i);
                    state.state(GLOBAL, SUM).add(1);
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    for (int t = 0; t < threads; t++) {
      for (int k = 0; k < 10; k++) {
        StateInternals state = store.stateInternals(prefix(t, "k" + k), "k" + k);
        List<String> elements = new ArrayList<>();
        state.state(GLOBAL, BAG).read().forEach(elements::add);
        assertEquals(perThread / 10, elements.size());
        assertEquals("p" + t + "-" + k, elements.get(0));
        assertEquals(Integer.valueOf(perThread / 10), state.state(GLOBAL, SUM).read());
      }
    }
  }

  @Test
  public void aClosedStoreRejectsCalls() {
    store.close();
    assertThrows(IllegalStateException.class, () -> store.get(bytes("x")));
    assertThrows(IllegalStateException.class, () -> store.stateInternals(prefix(1, "k"), "k"));
    store.close(); // idempotent
  }

  @Test
  public void reopeningTheDirectoryKeepsFlushedState() throws IOException {
    Path directory = store.directory();
    store.stateInternals(prefix(1, "k"), "k").state(GLOBAL, VALUE).write("kept");
    store.checkpoint(folder.getRoot().toPath().resolve("flush")); // no WAL: flush before close
    store.close();
    store = RocksDbStore.open(directory);
    assertEquals("kept", store.stateInternals(prefix(1, "k"), "k").state(GLOBAL, VALUE).read());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String string(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
