package io.beamline.runners.microbatch;

import io.beamline.sdk.BeamlinePipelineOptions;

/**
 * Options of {@link MicroBatchRunner}. Besides Beam's standard options it takes:
 *
 * <ul>
 *   <li>{@code --parallelism} (from {@link BeamlinePipelineOptions}): tasks per stage and shuffle
 *       partitions; default {@code -1}, the number of cores.
 * </ul>
 *
 * <p>Streaming options (batch interval, records per epoch, checkpoint directory, state backend)
 * arrive with streaming execution.
 */
public interface MicroBatchPipelineOptions extends BeamlinePipelineOptions {}
