package io.beamline.io.lakehouse.internal;

import io.beamline.sdk.io.EpochInfo;
import io.beamline.sdk.io.EpochTransactional;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;

/**
 * The committer of an unbounded sink, keyed by table: collects the {@link FileBatch}es of its
 * bundle and commits each table's files in {@code @FinishBundle} with {@link TableCommitter}, one
 * {@code AppendFiles} per table.
 *
 * <p>One commit per table per epoch holds as long as a bundle of this DoFn covers all of a table's
 * files of an epoch — true on MicroBatchRunner, where a stateful DoFn gets one bundle per key and
 * epoch (and, after the planned change, one bundle per task and epoch: the committer commits
 * whatever tables the bundle holds, so it is right under both). The runner runs this {@code
 * @FinishBundle} before it writes {@code commits/N}. On other runners each bundle is committed
 * atomically, without epoch markers.
 *
 * <p>The state cell is there because Beam has no keyed ParDo without state: declaring it makes
 * every runner route all files of a table to one task. It counts the batches committed per table
 * (for debugging a table's history) and is never needed for correctness.
 */
public final class CommitFilesFn extends DoFn<KV<String, FileBatch>, Void>
    implements EpochTransactional {
  private final WriteSpec spec;

  @StateId("batches")
  private final StateSpec<ValueState<Long>> batchesSpec = StateSpecs.value(VarLongCoder.of());

  private transient Map<String, List<FileBatch>> pending;

  public CommitFilesFn(WriteSpec spec) {
    this.spec = spec;
  }

  @StartBundle
  public void startBundle() {
    pending = new LinkedHashMap<>();
  }

  @ProcessElement
  public void processElement(
      @Element KV<String, FileBatch> element, @StateId("batches") ValueState<Long> batches) {
    pending.computeIfAbsent(element.getKey(), k -> new ArrayList<>()).add(element.getValue());
    Long n = batches.read();
    batches.write(n == null ? 1 : n + 1);
  }

  @FinishBundle
  public void finishBundle() {
    EpochInfo epoch = EpochInfo.current().orElse(null);
    for (Map.Entry<String, List<FileBatch>> e : pending.entrySet()) {
      TableCommitter.commit(spec, e.getKey(), e.getValue(), epoch);
    }
    pending.clear();
  }
}
