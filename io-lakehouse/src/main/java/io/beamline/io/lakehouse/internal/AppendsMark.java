package io.beamline.io.lakehouse.internal;

import java.io.Serializable;
import org.apache.beam.sdk.io.UnboundedSource;

/**
 * A reader's position in the appended snapshots of a table: the next record to read is record
 * {@code record} of file {@code file} (index into the unit's files sorted by location) of the unit
 * {@code (snapshot, initialScan)}. {@code file} beyond the unit's files means the unit is done.
 * Nothing to finalize: the position lives in the runner's offset log only.
 *
 * @param snapshot snapshot id of the unit, -1 before the table's first snapshot
 * @param initialScan the unit is the full scan of the starting snapshot, not its appended files
 * @param file index of the file being read
 * @param record records of that file already read
 */
public record AppendsMark(long snapshot, boolean initialScan, int file, long record)
    implements UnboundedSource.CheckpointMark, Serializable {

  @Override
  public void finalizeCheckpoint() {}

  @Override
  public String toString() {
    return (initialScan ? "scan of " : "appends of ") + snapshot + ", file #" + file + ", record " + record;
  }
}
