package io.beamline.sdk.internal.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateInternalsTest;
import org.junit.After;
import org.junit.Rule;
import org.junit.rules.TemporaryFolder;

/**
 * Beam's contract test for {@link StateInternals}, run against {@link RocksDbStore} through an
 * {@link RocksDbStore.Overlay} (as a RealtimeRunner task writes between two barriers).
 */
public class RocksDbOverlayStateInternalsTest extends StateInternalsTest {
  @Rule public final TemporaryFolder folder = new TemporaryFolder();

  private RocksDbStore store;

  @Override
  protected StateInternals createStateInternals() {
    try {
      store = RocksDbStore.open(folder.newFolder("db").toPath());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    store.overlayThisThread();
    return store.stateInternals(StoreFixtures.prefix(1, "key"), "key");
  }

  @After
  public void closeStore() {
    store.close();
  }
}
