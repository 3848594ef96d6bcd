package io.beamline.sdk.internal.exchange;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.Test;

public class ByteKeyTest {

  @Test
  public void equalBytesAreEqualKeys() {
    ByteKey a = new ByteKey(new byte[] {1, 2, 3});
    ByteKey b = new ByteKey(new byte[] {1, 2, 3});
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, new ByteKey(new byte[] {1, 2, 4}));
  }

  /**
   * Dense small keys, as a job keyed by {@code n % 100000} has, must not collide in bulk: with
   * {@code Arrays.hashCode} these 100,000 keys have 25,368 distinct hashes.
   */
  @Test
  public void denseVarLongKeysHaveDistinctHashes() throws Exception {
    Set<Integer> hashes = new HashSet<>();
    int keys = 100_000;
    for (long n = 0; n < keys; n++) {
      hashes.add(new ByteKey(CoderUtils.encodeToByteArray(VarLongCoder.of(), n)).hashCode());
    }
    // a random 32-bit hash collides about keys^2 / 2^33 ≈ 1 time here
    assertTrue(hashes.size() + " distinct hashes", hashes.size() >= keys - 10);
  }
}
