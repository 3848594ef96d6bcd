package io.beamline.sdk.io;

import java.util.Map;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource.CheckpointMark;

/**
 * Implemented by an {@link UnboundedSource.UnboundedReader} whose checkpoint marks are positions in
 * partitioned, ordered logs (Kafka topic partitions, Kinesis shards): an epoch's input is then an
 * explicit offset range per partition, and the Beamline runners replay an uncommitted epoch by
 * reading exactly up to the logged end positions rather than re-counting records — which matters
 * when one reader reads several partitions, because the interleaving of partitions differs between
 * reads.
 *
 * <p>Call order: {@code getCheckpointMark()} may be called before {@code start()} and must then
 * return the resolved start positions (e.g. "latest" resolved to offsets), so that the offset log
 * of the first epoch is explicit.
 */
public interface OffsetRangeReader {

  /**
   * Restricts reading to records before the positions of {@code endMark}, or lifts the restriction
   * if it is null. Records at or beyond the limit are kept for when it is lifted.
   */
  void limitTo(CheckpointMark endMark);

  /** True once, under {@link #limitTo}, every partition has reached its end position. */
  boolean reachedLimit();

  /** True if the reader has nothing to read now: its watermark should not hold the source back. */
  boolean isIdle();

  /**
   * The positions of a mark, for the offset log: partition name (e.g. {@code "flights-3"}) to the
   * next offset to read.
   */
  Map<String, Long> positions(CheckpointMark mark);

  /**
   * Records not read yet (the lag behind the log's end plus anything buffered), or -1 if unknown
   * (the default). Beam's reader API reports backlog only in bytes; runners use this to tell how
   * many epochs a job is behind.
   */
  default long backlogRecords() {
    return -1;
  }
}
