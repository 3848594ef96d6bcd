package io.beamline.sdk.io;

import java.io.IOException;
import org.apache.beam.sdk.io.UnboundedSource;

/**
 * Implemented by an {@link UnboundedSource.UnboundedReader} that can wait for records instead of
 * being polled.
 *
 * <p>{@code UnboundedReader#advance()} must not block (Beam's contract), so a runner whose reader
 * has nothing to read either polls it again and again — CPU that, on a small machine, the broker and
 * the other tasks need — or sleeps a fixed time, which a record arriving meanwhile waits out. A
 * reader whose client can block until data arrives (Kafka's consumer waits in its network selector
 * until a fetch response comes) implements this; RealtimeRunner's source task calls it when its one
 * reader has nothing to read. Beam's own KafkaIO reader makes the same trade inside {@code
 * advance()}, which waits up to 10 ms for its consumer thread's next batch.
 */
public interface AwaitingReader {
  /**
   * Waits until records can be read, the timeout passes or the calling thread is interrupted
   * (then returns with its interrupt flag set). The records are returned by the next {@code
   * advance()}; nothing is consumed.
   *
   * @param timeoutMillis the longest wait, in milliseconds, at least 1
   * @return true if {@code advance()} has a record to return now
   * @throws IOException if the reader failed
   */
  boolean awaitRecords(long timeoutMillis) throws IOException;
}
