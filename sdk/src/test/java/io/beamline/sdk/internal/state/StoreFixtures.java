package io.beamline.sdk.internal.state;

import java.nio.charset.StandardCharsets;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.joda.time.Instant;

/** Namespace prefixes and namespaces built the way {@link RocksDbStore} asks callers to. */
final class StoreFixtures {
  static final StateNamespace GLOBAL =
      StateNamespaces.window(GlobalWindow.Coder.INSTANCE, GlobalWindow.INSTANCE);

  private StoreFixtures() {}

  /** The 8-byte operator prefix of operator {@code operator}. */
  static byte[] operator(long operator) {
    return CellKeys.longBytes(operator);
  }

  /** {@code operator prefix | u32 length | UTF-8 key}: prefix-free over keys. */
  static byte[] prefix(long operator, String key) {
    return CellKeys.concat(
        operator(operator), CellKeys.lengthPrefixed(key.getBytes(StandardCharsets.UTF_8)));
  }

  /** The namespace of the interval window {@code [startMillis, endMillis)}. */
  static StateNamespace window(long startMillis, long endMillis) {
    return StateNamespaces.window(
        IntervalWindow.getCoder(),
        new IntervalWindow(new Instant(startMillis), new Instant(endMillis)));
  }
}
