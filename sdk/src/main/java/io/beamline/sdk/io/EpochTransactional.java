package io.beamline.sdk.io;

/**
 * Marks a {@code DoFn} whose output is committed per {@code (runId, epoch, shard)} (see {@link
 * EpochInfo}), such as the Kafka sink. Its shards are the tasks of its stage, so a replayed epoch
 * must run with the parallelism it was started with: the Beamline runners refuse to replay an
 * uncommitted epoch with another {@code --parallelism} when the pipeline has such a DoFn (without
 * one, state is re-partitioned and the replay is fine).
 */
public interface EpochTransactional {
  /**
   * Whether this instance commits its output per epoch (true by default). A sink that can also run
   * in an at-least-once mode answers false there: it then needs neither epochs nor a fixed
   * parallelism, and RealtimeRunner runs it without checkpoints too.
   */
  default boolean commitsPerEpoch() {
    return true;
  }

  /**
   * Whether this instance, when it commits per epoch, can also commit at RealtimeRunner's checkpoint
   * barriers: keep its epoch's output open across the epoch's many bundles and commit it through
   * {@link DeferredFlush#deferCommit} (false by default; RealtimeRunner refuses a sink that commits
   * per epoch but not at barriers, such as one that relies on one bundle per epoch).
   */
  default boolean commitsAtBarriers() {
    return false;
  }
}
