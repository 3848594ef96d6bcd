package io.beamline.sdk.internal.state;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import io.beamline.sdk.internal.exchange.ByteKey;
import io.beamline.sdk.internal.exchange.Partitioning;
import java.nio.file.Path;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The partitions of one stage keep their cells in one RocksDB under the stage's prefix, but each is
 * held back only by its own keys' watermark holds; a restore with another parallelism files the
 * holds under the new partitions.
 */
public class KeyedStateStoreRocksDbHoldsTest {
  private static final StateTag<WatermarkHoldState> HOLD =
      StateTags.watermarkStateInternal("hold", TimestampCombiner.EARLIEST);
  private static final int STAGE = 7;

  @Rule public final TemporaryFolder folder = new TemporaryFolder();

  private static ByteKey encoded(String key) throws Exception {
    return new ByteKey(CoderUtils.encodeToByteArray(StringUtf8Coder.of(), key));
  }

  /** The first key "k0", "k1", … that lands in {@code partition} of 2. */
  private static String keyOf(int partition) throws Exception {
    for (int i = 0; ; i++) {
      if (Partitioning.partitionOf(encoded("k" + i), 2) == partition) {
        return "k" + i;
      }
    }
  }

  private static void hold(KeyedStateStore store, String key, long millis) throws Exception {
    store.get(encoded(key), key).state().state(StoreFixtures.GLOBAL, HOLD).add(new Instant(millis));
  }

  @Test
  public void eachPartitionIsHeldByItsOwnKeysAndARestoreRegroupsThem() throws Exception {
    String of0 = keyOf(0);
    String of1 = keyOf(1);
    Path checkpoint = folder.getRoot().toPath().resolve("checkpoint");
    try (RocksDbStore db = RocksDbStore.open(folder.newFolder("db").toPath())) {
      KeyedStateStore p0 = KeyedStateStore.rocksDb(db, STAGE, 0, StringUtf8Coder.of());
      KeyedStateStore p1 = KeyedStateStore.rocksDb(db, STAGE, 1, StringUtf8Coder.of());
      hold(p0, of0, 5_000);
      hold(p1, of1, 3_000);
      assertEquals(new Instant(5_000), p0.earliestHold());
      assertEquals(new Instant(3_000), p1.earliestHold());
      db.checkpoint(checkpoint);
    }

    // one partition now: it is held by both keys' holds
    try (RocksDbStore db = RocksDbStore.restore(checkpoint, folder.newFolder("one").toPath())) {
      StageKeyLayout.regroupHolds(db, 1);
      KeyedStateStore only = KeyedStateStore.rocksDb(db, STAGE, 0, StringUtf8Coder.of());
      assertEquals(new Instant(3_000), only.earliestHold());
    }

    // without regrouping, partition 0 of a restored run would miss partition 1's hold
    try (RocksDbStore db = RocksDbStore.restore(checkpoint, folder.newFolder("stale").toPath())) {
      KeyedStateStore only = KeyedStateStore.rocksDb(db, STAGE, 0, StringUtf8Coder.of());
      assertNotEquals(new Instant(3_000), only.earliestHold());
      assertEquals(new Instant(5_000), only.earliestHold());
    }

    // two partitions again, after a run with one: each its own
    Path one = folder.getRoot().toPath().resolve("checkpoint-one");
    try (RocksDbStore db = RocksDbStore.restore(checkpoint, folder.newFolder("again").toPath())) {
      StageKeyLayout.regroupHolds(db, 1);
      db.checkpoint(one);
    }
    try (RocksDbStore db = RocksDbStore.restore(one, folder.newFolder("two").toPath())) {
      StageKeyLayout.regroupHolds(db, 2);
      KeyedStateStore p0 = KeyedStateStore.rocksDb(db, STAGE, 0, StringUtf8Coder.of());
      KeyedStateStore p1 = KeyedStateStore.rocksDb(db, STAGE, 1, StringUtf8Coder.of());
      assertEquals(new Instant(5_000), p0.earliestHold());
      assertEquals(new Instant(3_000), p1.earliestHold());
      p1.get(encoded(of1), of1).state().state(StoreFixtures.GLOBAL, HOLD).clear();
      assertEquals(BoundedWindow.TIMESTAMP_MAX_VALUE, p1.earliestHold());
      assertEquals(new Instant(5_000), p0.earliestHold());
    }
  }
}
