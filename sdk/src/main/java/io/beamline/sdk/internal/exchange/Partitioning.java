package io.beamline.sdk.internal.exchange;

/** Maps structural keys to shuffle partitions. */
public final class Partitioning {
  private Partitioning() {}

  /**
   * Partition of a key among {@code partitionCount} partitions: the key's {@code hashCode}, mixed
   * with MurmurHash3's 32-bit finalizer so that keys with regular hash codes (small longs, dense
   * ints) still spread evenly.
   */
  public static int partitionOf(Object structuralKey, int partitionCount) {
    int h = structuralKey == null ? 0 : structuralKey.hashCode();
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return Math.floorMod(h, partitionCount);
  }
}
