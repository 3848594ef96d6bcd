package io.beamline.runners.microbatch.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.monitoring.JobMonitor;
import io.beamline.monitoring.ProgressDetails;
import io.beamline.sdk.EpochProgress;
import io.beamline.sdk.internal.checkpoint.CheckpointLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the per-epoch {@link EpochProgress} of a run: appends each as one JSON line to the
 * progress file (flushed, not fsynced: progress is informational), keeps the most recent {@value
 * #KEPT} for {@link MicroBatchPipelineResult#recentProgress()}, and logs a one-line summary (INFO
 * for checkpointed runs, DEBUG otherwise).
 *
 * <p>Threading: {@link #accept} is called by the driver thread; readers may call {@link #recent}
 * from any thread.
 */
public final class ProgressLog implements Consumer<EpochProgress>, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressLog.class);
  static final int KEPT = 100;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Deque<EpochProgress> recent = new ArrayDeque<>();
  private final @Nullable Writer file;
  private final @Nullable Path path;
  private final boolean info;
  private final @Nullable JobMonitor monitor;

  /**
   * @param file the progress file to append to, or null for none
   * @param info log a summary of every epoch at INFO rather than DEBUG
   * @param monitor the run's monitor, which sees every report first and adds its fields (alerts,
   *     capacity, tuning) to the JSON line; null for none
   * @throws UncheckedIOException if the file cannot be opened
   */
  public ProgressLog(@Nullable Path file, boolean info, @Nullable JobMonitor monitor) {
    this.info = info;
    this.path = file;
    this.monitor = monitor;
    try {
      if (file != null) {
        Files.createDirectories(file.toAbsolutePath().getParent());
        this.file =
            Files.newBufferedWriter(
                file,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
      } else {
        this.file = null;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open the progress file " + file, e);
    }
  }

  /**
   * The last epoch of run {@code runId} the progress file holds a line for, or -1 (no file, no line
   * of that run).
   */
  public long lastLoggedEpoch(String runId) {
    if (path == null || !Files.exists(path)) {
      return -1;
    }
    long last = -1;
    try (java.io.BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        com.fasterxml.jackson.databind.JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (IOException e) {
          continue; // a line cut short by a kill
        }
        if (runId.equals(node.path("runId").asText())) {
          last = Math.max(last, node.path("epoch").asLong(-1));
        }
      }
    } catch (IOException e) {
      LOG.warn("Cannot read the progress file {}: {}", path, e.toString());
    }
    return last;
  }

  /**
   * Appends the line of an epoch that was committed but whose line was never written (the process
   * died between {@code commits/N} and its progress line), marked {@code "recovered": true}; its
   * figures are those the checkpoint keeps (no durations or rates).
   */
  public void acceptRecovered(EpochProgress progress) {
    write(progress, Map.of("recovered", true));
    LOG.info("epoch {}: progress line recovered from the checkpoint", progress.epoch());
  }

  @Override
  public void accept(EpochProgress progress) {
    accept(progress, ProgressDetails.NONE);
  }

  /** {@link #accept(EpochProgress)} with figures beyond the record, for the monitor. */
  public void accept(EpochProgress progress, ProgressDetails details) {
    Map<String, Object> monitored =
        monitor == null ? Map.of() : monitor.onProgress(progress, details);
    write(progress, monitored);
    String line =
        String.format(
            "epoch %d: %d rows, %.0f rows/s, %d ms, watermark %s, state %d keys%s",
            progress.epoch(),
            progress.inputRows(),
            progress.processedRowsPerSecond(),
            progress.durationMs().get("total"),
            progress.watermark(),
            progress.stateKeys(),
            progress.replayed() ? " (replayed)" : "");
    if (info) {
      LOG.info(line);
    } else {
      LOG.debug(line);
    }
  }

  private void write(EpochProgress progress, Map<String, Object> monitored) {
    synchronized (recent) {
      recent.addLast(progress);
      if (recent.size() > KEPT) {
        recent.removeFirst();
      }
    }
    if (file != null) {
      try {
        ObjectNode line = JSON.valueToTree(progress);
        monitored.forEach((field, value) -> line.set(field, JSON.valueToTree(value)));
        file.write(JSON.writeValueAsString(line));
        file.write('\n');
        file.flush();
      } catch (IOException e) {
        LOG.warn("Cannot append to the progress file: {}", e.toString());
      }
    }
  }

  /** The most recent reports, oldest first. */
  public List<EpochProgress> recent() {
    synchronized (recent) {
      return new ArrayList<>(recent);
    }
  }

  @Override
  public void close() throws IOException {
    if (file != null) {
      file.close();
    }
  }

  /**
   * Appends a progress line for each committed epoch the progress file has none for (the process
   * died between writing {@code commits/N} and the epoch's line), from what the checkpoint keeps of
   * it: input rows from {@code offsets/N}, the watermark and time of {@code commits/N}. Epochs no
   * longer retained are skipped.
   *
   * @param nextEpoch the first epoch this run will run (every epoch before it is committed)
   */
  void recoverFrom(CheckpointLog log, long nextEpoch) {
    long from = lastLoggedEpoch(log.runId()) + 1;
    for (long epoch = from; epoch < nextEpoch; epoch++) {
      ObjectNode commit;
      ObjectNode offsets;
      try {
        commit = log.readCommit(epoch);
        offsets = log.readOffsets(epoch);
      } catch (Exception e) {
        continue; // purged by retention, or never written: nothing to recover
      }
      long rows = 0;
      for (JsonNode source : offsets.path("sources")) {
        for (JsonNode split : source.path("splits")) {
          rows += split.path("records").asLong(0);
        }
      }
      String time;
      try {
        time = Files.getLastModifiedTime(log.commitFile(epoch)).toInstant().toString();
      } catch (java.io.IOException e) {
        time = "";
      }
      acceptRecovered(
          new EpochProgress(
              log.runId(),
              epoch,
              time,
              false,
              rows,
              0,
              0,
              Map.of(),
              ProgressReporter.describe(new Instant(commit.path("watermark").asLong())),
              0,
              0,
              0,
              0,
              -1));
    }
  }
}
