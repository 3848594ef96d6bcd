package io.beamline.monitoring.internal;

import io.beamline.monitoring.ProgressDetails;
import io.beamline.sdk.EpochProgress;
import java.util.List;

/**
 * One progress record as the monitor keeps it.
 *
 * @param seq position in this monitor's history, from 1 (the JSON API's {@code after} cursor)
 * @param progress the runner's record
 * @param details runner figures beyond the record
 * @param intervalMillis the batch interval the epoch ran with (0: none)
 * @param maxRecordsPerEpoch the cap it ran with
 * @param processingRatio busy time / interval; NaN without interval
 * @param watermarkLagSeconds end of epoch minus watermark; NaN before the first watermark
 * @param alerts names of the alerts active after this record
 */
public record ProgressPoint(
    long seq,
    EpochProgress progress,
    ProgressDetails details,
    long intervalMillis,
    long maxRecordsPerEpoch,
    double processingRatio,
    double watermarkLagSeconds,
    List<String> alerts) {}
