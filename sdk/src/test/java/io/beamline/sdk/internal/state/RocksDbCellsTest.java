package io.beamline.sdk.internal.state;

import static io.beamline.sdk.internal.state.StoreFixtures.GLOBAL;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.emptyIterable;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * The state kinds Beam's {@code StateInternalsTest} does not cover (multimap, ordered list) and
 * details of the others that it does not check (order, deferred reads, empty cells); each written
 * straight into the database and through an {@link RocksDbStore.Overlay}, over state that is
 * already in the database.
 */
@RunWith(Parameterized.class)
public class RocksDbCellsTest {
  @Parameterized.Parameters(name = "{0}")
  public static List<Object[]> writes() {
    return List.of(new Object[] {"direct"}, new Object[] {"overlay"});
  }

  @Parameterized.Parameter public String writes;

  private static final StateTag<MultimapState<String, Integer>> MULTIMAP =
      StateTags.multimap("multimap", StringUtf8Coder.of(), VarIntCoder.of());
  private static final StateTag<OrderedListState<String>> LIST =
      StateTags.orderedList("list", StringUtf8Coder.of());
  private static final StateTag<BagState<String>> BAG = StateTags.bag("bag", StringUtf8Coder.of());
  private static final StateTag<MapState<String, Integer>> MAP =
      StateTags.map("map", StringUtf8Coder.of(), VarIntCoder.of());
  private static final StateTag<ValueState<String>> VALUE =
      StateTags.value("value", StringUtf8Coder.of());

  @Rule public final TemporaryFolder folder = new TemporaryFolder();

  private RocksDbStore store;
  private StateInternals state;

  @Before
  public void open() throws IOException {
    store = RocksDbStore.open(folder.newFolder("db").toPath());
    // neighbours in the database: a scan through an overlay must stop before them
    store.stateInternals(StoreFixtures.prefix(1, "j"), "j").state(GLOBAL, BAG).add("of j");
    store.stateInternals(StoreFixtures.prefix(1, "l"), "l").state(GLOBAL, BAG).add("of l");
    if (writes.equals("overlay")) {
      store.overlayThisThread();
    }
    state = store.stateInternals(StoreFixtures.prefix(1, "k"), "k");
  }

  @After
  public void close() {
    store.close();
  }

  @Test
  public void multimapKeepsDuplicatesInPutOrderPerKey() {
    MultimapState<String, Integer> multimap = state.state(GLOBAL, MULTIMAP);
    ReadableState<Boolean> isEmpty = multimap.isEmpty();
    ReadableState<Boolean> containsA = multimap.containsKey("a");
    ReadableState<Iterable<Integer>> valuesOfA = multimap.get("a");
    assertTrue(isEmpty.read());

    multimap.put("a", 3);
    multimap.put("b", 1);
    multimap.put("a", 1);
    multimap.put("a", 3);
    multimap.put("ab", 7); // a key whose encoding extends another key's

    assertFalse(isEmpty.read());
    assertTrue(containsA.read());
    assertThat(valuesOfA.read(), contains(3, 1, 3));
    assertThat(multimap.get("ab").read(), contains(7));
    assertThat(multimap.get("c").read(), emptyIterable());
    assertThat(multimap.keys().read(), containsInAnyOrder("a", "ab", "b"));
    assertThat(
        multimap.entries().read(),
        containsInAnyOrder(
            entry("a", 3), entry("a", 1), entry("a", 3), entry("ab", 7), entry("b", 1)));

    multimap.remove("a");
    assertFalse(containsA.read());
    assertThat(valuesOfA.read(), emptyIterable());
    assertThat(multimap.keys().read(), containsInAnyOrder("ab", "b"));
    multimap.put("a", 9); // a removed key starts again
    assertThat(multimap.get("a").read(), contains(9));

    multimap.clear();
    assertTrue(isEmpty.read());
    assertThat(multimap.entries().read(), emptyIterable());
  }

  @Test
  public void multimapResultsAreCopies() {
    MultimapState<String, Integer> multimap = state.state(GLOBAL, MULTIMAP);
    multimap.put("a", 1);
    Iterable<Integer> before = multimap.get("a").read();
    multimap.put("a", 2);
    assertThat(before, contains(1));
    assertThat(multimap.get("a").read(), contains(1, 2));
  }

  @Test
  public void orderedListReadsInTimestampOrderIncludingNegativeTimestamps() {
    OrderedListState<String> list = state.state(GLOBAL, LIST);
    assertTrue(list.isEmpty().read());
    list.add(TimestampedValue.of("t20", new Instant(20)));
    list.add(TimestampedValue.of("t-5", new Instant(-5)));
    list.add(TimestampedValue.of("t10a", new Instant(10)));
    list.add(TimestampedValue.of("t0", new Instant(0)));
    list.add(TimestampedValue.of("t10b", new Instant(10)));
    list.add(TimestampedValue.of("tMin", new Instant(Long.MIN_VALUE)));

    assertThat(values(list.read()), contains("tMin", "t-5", "t0", "t10a", "t10b", "t20"));
    assertEquals(new Instant(-5), timestampOf(list.read(), "t-5"));
    assertEquals(new Instant(Long.MIN_VALUE), timestampOf(list.read(), "tMin"));
    assertThat(
        values(list.readRange(new Instant(0), new Instant(20))), contains("t0", "t10a", "t10b"));
    assertThat(values(list.readRange(new Instant(10), new Instant(11))), contains("t10a", "t10b"));
    assertThat(values(list.readRange(new Instant(11), new Instant(20))), emptyIterable());
    assertThat(values(list.readRange(new Instant(20), new Instant(0))), emptyIterable());
    OrderedListState<String> later = list.readRangeLater(new Instant(-10), new Instant(1));
    assertThat(values(later.readRange(new Instant(-10), new Instant(1))), contains("t-5", "t0"));
  }

  @Test
  public void orderedListClearRangeRemovesExactlyTheHalfOpenRange() {
    OrderedListState<String> list = state.state(GLOBAL, LIST);
    for (int t = 0; t < 10; t++) {
      list.add(TimestampedValue.of("v" + t, new Instant(t)));
    }
    list.clearRange(new Instant(3), new Instant(7));
    assertThat(values(list.read()), contains("v0", "v1", "v2", "v7", "v8", "v9"));

    list.add(TimestampedValue.of("again", new Instant(5)));
    assertThat(values(list.readRange(new Instant(3), new Instant(8))), contains("again", "v7"));

    list.clearRange(new Instant(0), new Instant(Long.MAX_VALUE));
    assertTrue(list.isEmpty().read());
    assertThat(list.read(), emptyIterable());

    list.add(TimestampedValue.of("after", new Instant(1)));
    assertFalse(list.isEmpty().read());
    list.clear();
    assertTrue(list.isEmpty().read());
  }

  @Test
  public void orderedListClearRangeOfManyElementsUsesARangeDeleteCorrectly() {
    OrderedListState<String> list = state.state(GLOBAL, LIST);
    for (int t = 0; t < 1_000; t++) { // more than the point-delete limit
      list.add(TimestampedValue.of("v" + t, new Instant(t)));
    }
    list.clearRange(new Instant(1), new Instant(999));
    assertThat(values(list.read()), contains("v0", "v999"));
  }

  @Test
  public void bagReadsInInsertionOrderAndReadResultsDoNotChange() {
    BagState<String> bag = state.state(GLOBAL, BAG);
    for (int i = 0; i < 200; i++) {
      bag.add("e" + i);
    }
    Iterable<String> first = bag.read();
    bag.add("late");
    bag.clear();
    List<String> firstElements = new ArrayList<>();
    first.forEach(firstElements::add);
    assertEquals(200, firstElements.size());
    assertEquals("e0", firstElements.get(0));
    assertEquals("e199", firstElements.get(199));
    assertThat(bag.read(), emptyIterable());
    bag.add("fresh");
    assertThat(bag.read(), contains("fresh"));
  }

  @Test
  public void mapComputeIfAbsentWritesEvenIfNotReadAndReturnsThePreviousValue() {
    MapState<String, Integer> map = state.state(GLOBAL, MAP);
    int[] calls = {0};
    ReadableState<Integer> absent = map.computeIfAbsent("a", k -> ++calls[0]);
    assertNull(absent.read());
    assertEquals(Integer.valueOf(1), map.get("a").read());
    assertEquals(Integer.valueOf(1), map.computeIfAbsent("a", k -> ++calls[0]).read());
    assertEquals(1, calls[0]);
    assertEquals(Integer.valueOf(5), map.getOrDefault("missing", 5).read());
    ReadableState<Boolean> isEmpty = map.isEmpty();
    assertFalse(isEmpty.read());
    map.remove("a");
    assertTrue(isEmpty.read());
  }

  @Test
  public void mapKeysWithASharedEncodedPrefixStaySeparate() {
    MapState<String, Integer> map = state.state(GLOBAL, MAP);
    map.put("a", 1);
    map.put("ab", 2);
    map.put("", 3);
    assertThat(map.keys().read(), contains("", "a", "ab")); // encoded-key order
    map.remove("a");
    assertEquals(Integer.valueOf(2), map.get("ab").read());
    assertEquals(Integer.valueOf(3), map.get("").read());
  }

  @Test
  public void cellsOfDifferentNamespacesAndTagsAreIndependent() {
    ValueState<String> inWindow1 = state.state(StoreFixtures.window(0, 10), VALUE);
    ValueState<String> inWindow2 = state.state(StoreFixtures.window(10, 20), VALUE);
    BagState<String> bag = state.state(StoreFixtures.window(0, 10), BAG);
    inWindow1.write("one");
    inWindow2.write("two");
    bag.add("x");
    inWindow1.clear();
    assertNull(inWindow1.read());
    assertEquals("two", inWindow2.read());
    assertThat(bag.read(), contains("x"));
  }

  @Test
  public void aSecondStateInternalsOfTheSameKeySeesTheWrites() {
    state.state(GLOBAL, BAG).add("one");
    StateInternals again = store.stateInternals(StoreFixtures.prefix(1, "k"), "k");
    BagState<String> bag = again.state(GLOBAL, BAG);
    bag.add("two"); // continues the same sequence: nothing is overwritten
    assertThat(state.state(GLOBAL, BAG).read(), contains("one", "two"));
    assertEquals("k", again.getKey());
  }

  @Test
  public void shortNamespacePrefixIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> store.stateInternals(new byte[7], "k"));
  }

  private static Map.Entry<String, Integer> entry(String key, int value) {
    return new SimpleImmutableEntry<>(key, value);
  }

  private static List<String> values(Iterable<TimestampedValue<String>> elements) {
    List<String> out = new ArrayList<>();
    elements.forEach(e -> out.add(e.getValue()));
    return out;
  }

  private static Instant timestampOf(Iterable<TimestampedValue<String>> elements, String value) {
    for (TimestampedValue<String> e : elements) {
      if (e.getValue().equals(value)) {
        return e.getTimestamp();
      }
    }
    throw new AssertionError("no element " + value);
  }
}
