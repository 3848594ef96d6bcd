package io.beamline.sdk.internal.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateInternalsTest;
import org.junit.After;
import org.junit.Rule;
import org.junit.rules.TemporaryFolder;

/** Beam's contract test for {@link StateInternals}, run against {@link RocksDbStore}. */
public class RocksDbStateInternalsTest extends StateInternalsTest {
  @Rule public final TemporaryFolder folder = new TemporaryFolder();

  private RocksDbStore store;

  /** Whether the test thread writes through an overlay (a subclass runs the contract so). */
  protected boolean overlaid() {
    return false;
  }

  @Override
  protected StateInternals createStateInternals() {
    try {
      store = RocksDbStore.open(folder.newFolder("db").toPath());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (overlaid()) {
      store.overlayThisThread();
    }
    return store.stateInternals(StoreFixtures.prefix(1, "key"), "key");
  }

  @After
  public void closeStore() {
    store.close();
  }
}
