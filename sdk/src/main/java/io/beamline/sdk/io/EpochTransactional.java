package io.beamline.sdk.io;

/**
 * Marks a {@code DoFn} whose output is committed per {@code (runId, epoch, shard)} (see {@link
 * EpochInfo}), such as the Kafka sink. Its shards are the tasks of its stage, so a replayed epoch
 * must run with the parallelism it was started with: the Beamline runners refuse to replay an
 * uncommitted epoch with another {@code --parallelism} when the pipeline has such a DoFn (without
 * one, state is re-partitioned and the replay is fine).
 */
public interface EpochTransactional {}
