package io.beamline.io.lakehouse.internal;

import io.beamline.sdk.io.EpochInfo;
import io.beamline.sdk.io.EpochTransactional;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;

/**
 * The committer of a bounded sink: after a {@code GroupByKey} by table in the global window, each
 * element holds all files of one table, committed as one {@code AppendFiles} — one commit per
 * table for the whole input, on any runner. In a checkpointed Beamline run the commit carries the
 * epoch markers like the unbounded sink's.
 */
public final class CommitGroupedFn extends DoFn<KV<String, Iterable<FileBatch>>, Void>
    implements EpochTransactional {
  private final WriteSpec spec;

  public CommitGroupedFn(WriteSpec spec) {
    this.spec = spec;
  }

  @ProcessElement
  public void processElement(@Element KV<String, Iterable<FileBatch>> element) {
    List<FileBatch> batches = new ArrayList<>();
    element.getValue().forEach(batches::add);
    TableCommitter.commit(spec, element.getKey(), batches, EpochInfo.current().orElse(null));
  }
}
