package io.beamline.io.lakehouse.internal;

import java.io.Serializable;

/**
 * Table upkeep the sink runs after its commits, at most once per {@code intervalMillis} per table
 * and JVM.
 *
 * @param expireAfterMillis snapshots older than this are expired; 0 = no expiry
 * @param retainLast snapshots always kept, newest first, whatever their age (at least 1)
 * @param compactMinFiles a partition's small files are rewritten into one once it has this many;
 *     0 = no compaction
 * @param targetFileBytes size compaction aims for; files below 3/4 of it are "small"
 * @param intervalMillis how often upkeep may run per table, in milliseconds
 */
public record UpkeepSpec(
    long expireAfterMillis,
    int retainLast,
    int compactMinFiles,
    long targetFileBytes,
    long intervalMillis)
    implements Serializable {

  public boolean expires() {
    return expireAfterMillis > 0;
  }

  public boolean compacts() {
    return compactMinFiles > 0;
  }

  public UpkeepSpec withExpiry(long afterMillis, int retain) {
    return new UpkeepSpec(afterMillis, retain, compactMinFiles, targetFileBytes, intervalMillis);
  }

  public UpkeepSpec withCompaction(int minFiles, long targetBytes) {
    return new UpkeepSpec(expireAfterMillis, retainLast, minFiles, targetBytes, intervalMillis);
  }

  public UpkeepSpec withInterval(long millis) {
    return new UpkeepSpec(expireAfterMillis, retainLast, compactMinFiles, targetFileBytes, millis);
  }
}
