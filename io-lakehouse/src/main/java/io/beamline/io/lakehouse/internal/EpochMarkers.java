package io.beamline.io.lakehouse.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The replay markers the sink keeps in snapshot summaries, as Iceberg's Flink sink keeps {@code
 * flink.max-committed-checkpoint-id}: every commit of an epoch carries {@code beamline.run-id},
 * {@code beamline.sink} and {@code beamline.epoch} (and {@code beamline.app} for people). The last
 * epoch a (run, sink) committed to a table is found by walking back from the current snapshot to
 * the first snapshot carrying both ids; since a sink commits a table's epochs in order, every epoch
 * up to it is in the table. The answer is cached per JVM and updated by this JVM's commits, so the
 * walk happens once per table, run and sink after a (re)start.
 */
final class EpochMarkers {
  static final String APP = "beamline.app";
  static final String RUN = "beamline.run-id";
  static final String SINK = "beamline.sink";
  static final String EPOCH = "beamline.epoch";

  private static final Map<String, Long> LAST = new ConcurrentHashMap<>();

  private EpochMarkers() {}

  private static String key(Table table, String runId, String sinkId) {
    return table.uuid() + "\n" + runId + "\n" + sinkId;
  }

  /** The last epoch the sink committed to {@code table} in run {@code runId}, or -1. */
  static long lastCommitted(Table table, String runId, String sinkId) {
    String key = key(table, runId, sinkId);
    Long cached = LAST.get(key);
    if (cached != null) {
      return cached;
    }
    Snapshot s = find(table, runId, sinkId, -1);
    long last = s == null ? -1 : Long.parseLong(s.summary().get(EPOCH));
    LAST.put(key, last);
    return last;
  }

  /** Records that this JVM committed {@code epoch} of the sink to {@code table}. */
  static void committed(Table table, String runId, String sinkId, long epoch) {
    LAST.merge(key(table, runId, sinkId), epoch, Math::max);
  }

  /** Forgets what this JVM knows (a commit's outcome is unknown). */
  static void forget(Table table, String runId, String sinkId) {
    LAST.remove(key(table, runId, sinkId));
  }

  /**
   * Every ancestor of the current snapshot the sink committed for {@code epoch} in the run: one,
   * unless the epoch check was disabled (testing) and a replay committed it again.
   */
  static java.util.List<Snapshot> findAll(Table table, String runId, String sinkId, long epoch) {
    java.util.List<Snapshot> found = new java.util.ArrayList<>();
    Snapshot s = table.currentSnapshot();
    while (s != null) {
      Map<String, String> summary = s.summary();
      if (runId.equals(summary.get(RUN)) && sinkId.equals(summary.get(SINK))) {
        long e = Long.parseLong(summary.get(EPOCH));
        if (e == epoch) {
          found.add(s);
        } else if (e < epoch) {
          break;
        }
      }
      Long parent = s.parentId();
      s = parent == null ? null : table.snapshot(parent);
    }
    return found;
  }

  /**
   * The newest ancestor of the current snapshot committed by the sink in the run, for epoch
   * {@code epoch} if it is ≥ 0 (else for any epoch); null if there is none.
   */
  static @Nullable Snapshot find(Table table, String runId, String sinkId, long epoch) {
    Snapshot s = table.currentSnapshot();
    while (s != null) {
      Map<String, String> summary = s.summary();
      if (runId.equals(summary.get(RUN)) && sinkId.equals(summary.get(SINK))) {
        long e = Long.parseLong(summary.get(EPOCH));
        if (epoch < 0 || e == epoch) {
          return s;
        }
        if (e < epoch) {
          return null; // epochs are committed in order: older ones cannot hold it
        }
      }
      Long parent = s.parentId();
      s = parent == null ? null : table.snapshot(parent);
    }
    return null;
  }
}
