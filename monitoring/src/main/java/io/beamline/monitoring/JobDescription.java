package io.beamline.monitoring;

/**
 * What a runner tells its {@link JobMonitor} about the job when it starts.
 *
 * @param name the job's name (Beam's {@code --jobName}, or the application name)
 * @param runner the runner's simple class name, e.g. {@code MicroBatchRunner}
 * @param bounded true for a job that runs once over bounded input (no epochs, no progress records)
 * @param parallelism tasks per stage
 * @param batchIntervalMillis the epoch interval at the start, in milliseconds; 0 for a runner
 *     without one (alerts and tuning that need it are then off)
 * @param maxRecordsPerEpoch the records-per-epoch cap at the start; {@code Long.MAX_VALUE} for none
 */
public record JobDescription(
    String name,
    String runner,
    boolean bounded,
    int parallelism,
    long batchIntervalMillis,
    long maxRecordsPerEpoch) {}
