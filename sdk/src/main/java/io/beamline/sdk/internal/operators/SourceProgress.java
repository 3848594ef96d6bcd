package io.beamline.sdk.internal.operators;

/**
 * Where tasks report how far they have read a bounded source: its estimated size when it is
 * split, then rows and bytes as they are read (in steps of {@value Sources#REPORT_EVERY} rows), so
 * an engine can show a bounded job's progress and ETA.
 *
 * <p>Threading: called by every task of a source stage at once; implementations must be
 * thread-safe.
 */
public interface SourceProgress {
  /** Reports nothing. */
  SourceProgress NONE =
      new SourceProgress() {
        @Override
        public void estimatedBytes(long bytes) {}

        @Override
        public void read(long rows, long bytes) {}
      };

  /** A source was split; {@code bytes} is its estimated size (negative: unknown). */
  void estimatedBytes(long bytes);

  /** {@code rows} more rows read, making up about {@code bytes} of the estimated size. */
  void read(long rows, long bytes);
}
