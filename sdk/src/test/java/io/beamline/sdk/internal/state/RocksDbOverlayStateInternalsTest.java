package io.beamline.sdk.internal.state;

/**
 * Beam's contract test for {@code StateInternals}, run against {@link RocksDbStore} through an
 * {@link RocksDbStore.Overlay} (as a RealtimeRunner task writes between a barrier and its
 * checkpoint).
 */
public class RocksDbOverlayStateInternalsTest extends RocksDbStateInternalsTest {
  @Override
  protected boolean overlaid() {
    return true;
  }
}
