package io.beamline.sdk.internal.checkpoint;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.CountingSource;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource.CheckpointMark;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Instant;
import org.junit.Test;

/** A split's entry of offsets/N, written and read back as a restart reads it. */
public class UnboundedSplitLogTest {
  private final PipelineOptions options = PipelineOptionsFactory.create();

  @Test
  @SuppressWarnings("unchecked")
  public void aReaderResumesFromTheLoggedEndMarkOfItsLoggedSubSource() throws Exception {
    UnboundedSource<Object, CheckpointMark> sub =
        (UnboundedSource<Object, CheckpointMark>)
            (UnboundedSource<?, ?>) CountingSource.unbounded().split(2, options).get(1);
    Coder<CheckpointMark> markCoder = sub.getCheckpointMarkCoder();
    UnboundedSource.UnboundedReader<Object> reader = sub.createReader(options, null);
    assertTrue(reader.start());
    reader.advance();
    Object second = reader.getCurrent();
    byte[] end = CoderUtils.encodeToByteArray(markCoder, reader.getCheckpointMark());

    ObjectNode entry =
        UnboundedSplitLog.entry(
            UnboundedSplitLog.serialize(sub), null, 2, end, new Instant(42), null, false, markCoder);
    // as a restart reads it: from the file's text
    ObjectNode read = (ObjectNode) new ObjectMapper().readTree(entry.toString());

    assertNull(UnboundedSplitLog.mark(read, "start"));
    assertArrayEquals(end, UnboundedSplitLog.mark(read, "end"));
    assertEquals(2, read.path("records").asLong());
    assertEquals(new Instant(42), UnboundedSplitLog.watermark(read));
    assertFalse(UnboundedSplitLog.idle(read));
    assertFalse("no idle or range field without an OffsetRangeReader", read.has("range"));

    UnboundedSource<Object, CheckpointMark> restored = UnboundedSplitLog.subSource(read, "Numbers");
    UnboundedSource.UnboundedReader<Object> resumed =
        restored.createReader(
            options,
            UnboundedSplitLog.decode(restored.getCheckpointMarkCoder(), UnboundedSplitLog.mark(read, "end")));
    assertTrue(resumed.start());
    assertEquals((Long) second + 2, resumed.getCurrent()); // split 1 of 2 counts 1, 3, 5, …
  }
}
