package io.beamline.sdk.internal.exchange;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class PartitioningTest {

  @Test
  public void denseLongKeysSpreadEvenly() {
    int[] counts = new int[4];
    for (long key = 0; key < 10_000; key++) {
      counts[Partitioning.partitionOf(key, 4)]++;
    }
    for (int count : counts) {
      assertThat(count, allOf(greaterThan(2_300), lessThan(2_700)));
    }
  }

  @Test
  public void equalKeysGoToTheSamePartitionAndNullIsAllowed() {
    assertEquals(Partitioning.partitionOf("abc", 7), Partitioning.partitionOf("a" + "bc", 7));
    assertEquals(Partitioning.partitionOf(null, 7), Partitioning.partitionOf(null, 7));
  }
}
