package io.beamline.runners.microbatch.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.monitoring.JobMonitor;
import io.beamline.sdk.EpochProgress;
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

  @Override
  public void accept(EpochProgress progress) {
    Map<String, Object> monitored = monitor == null ? Map.of() : monitor.onProgress(progress);
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
}
