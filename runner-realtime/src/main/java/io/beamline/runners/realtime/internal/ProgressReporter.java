package io.beamline.runners.realtime.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamline.runners.realtime.RealtimeProgress;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports a real-time run's progress every interval: rows in and out, end-to-end latency p50/p99,
 * the low watermark, and per stage its elements, output watermark, queue occupancy and
 * backpressure ({@link RealtimeProgress}), as one JSON line per interval to the progress file (if
 * any) and into the most recent 100 reports. A last report is made when the run ends.
 *
 * <p>Threading: its own daemon thread ({@code beamline-rt-progress-N}) reads counters the task
 * threads publish (volatile or atomic); {@link #recent} from any thread.
 */
final class ProgressReporter implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);
  /** Leaves out what is not there (a run without checkpoints has no {@code checkpoint}). */
  private static final ObjectMapper JSON =
      new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);
  private static final int KEEP = 100;

  private final ExecutablePlan plan;
  private final List<TaskThread> tasks;
  private final Topology topology;
  private final StageWatermarks watermarks;
  private final LatencyHistogram latency;
  private final long intervalNanos;
  private final @Nullable Path file;
  private final Deque<RealtimeProgress> recent = new ArrayDeque<>();
  private final Map<Stage, long[]> lastStage = new HashMap<>();
  private long[] lastLatency = new long[LatencyHistogram.BUCKETS];
  private long lastIn;
  private long lastOut;
  private long lastNanos = System.nanoTime();
  private long interval;
  private volatile boolean stopped;
  /** Set by the checkpoint coordinator's thread. */
  private final AtomicReference<RealtimeProgress.Checkpoint> lastCheckpoint =
      new AtomicReference<>();

  ProgressReporter(
      ExecutablePlan plan,
      List<TaskThread> tasks,
      Topology topology,
      StageWatermarks watermarks,
      LatencyHistogram latency,
      long intervalMillis,
      @Nullable Path file) {
    this.plan = plan;
    this.tasks = tasks;
    this.topology = topology;
    this.watermarks = watermarks;
    this.latency = latency;
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
    this.file = file;
  }

  /** A checkpoint completed; the next reports show it. Any thread. */
  void checkpointed(RealtimeProgress.Checkpoint checkpoint) {
    lastCheckpoint.set(checkpoint);
  }

  @Override
  public void run() {
    while (!stopped) {
      LockSupport.parkNanos(this, intervalNanos); // the reporting schedule, not a wait for work
      if (!stopped) {
        report();
      }
    }
  }

  /** Stops the schedule and makes the last report (from the thread that ended the run). */
  void stop() {
    stopped = true;
    report();
  }

  /** The most recent reports (at most 100), oldest first. */
  synchronized List<RealtimeProgress> recent() {
    return List.copyOf(recent);
  }

  private synchronized void report() {
    long now = System.nanoTime();
    double seconds = Math.max(1e-9, (now - lastNanos) / 1e9);
    lastNanos = now;
    long in = 0;
    long out = 0;
    for (TaskThread task : tasks) {
      if (task.stage.source() != null) {
        in += task.elementsIn();
      }
      out += task.elementsOut();
    }
    long[] latencies = latency.snapshot();
    List<RealtimeProgress.Stage> stages = new ArrayList<>();
    Map<String, Instant> stageWatermarks = watermarks.byStage();
    Instant low = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (Stage stage : plan.stages()) {
      long elements = 0;
      for (TaskThread task : tasks) {
        if (task.stage == stage) {
          elements += task.elementsIn();
        }
      }
      long queued = 0;
      long capacity = 0;
      long blockedNanos = 0;
      for (Channel channel : topology.inputChannels(stage)) {
        queued += channel.size();
        capacity += channel.capacity();
        blockedNanos += channel.blockedNanos();
      }
      long[] last = lastStage.getOrDefault(stage, new long[2]);
      lastStage.put(stage, new long[] {elements, blockedNanos});
      Instant watermark = stageWatermarks.get(stage.toString());
      low = watermark.isBefore(low) ? watermark : low;
      stages.add(
          new RealtimeProgress.Stage(
              stage.name(),
              elements - last[0],
              format(watermark),
              queued,
              capacity,
              TimeUnit.NANOSECONDS.toMillis(blockedNanos - last[1])));
    }
    RealtimeProgress progress =
        new RealtimeProgress(
            interval++,
            java.time.Instant.now().toString(),
            in - lastIn,
            out - lastOut,
            (in - lastIn) / seconds,
            LatencyHistogram.percentile(lastLatency, latencies, 50),
            LatencyHistogram.percentile(lastLatency, latencies, 99),
            format(low),
            stages,
            lastCheckpoint.get());
    lastIn = in;
    lastOut = out;
    lastLatency = latencies;
    recent.addLast(progress);
    if (recent.size() > KEEP) {
      recent.removeFirst();
    }
    write(progress);
  }

  private void write(RealtimeProgress progress) {
    if (file == null) {
      return;
    }
    try (Writer writer =
        Files.newBufferedWriter(
            file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      writer.write(JSON.writeValueAsString(progress));
      writer.write('\n');
    } catch (IOException e) {
      LOG.warn("Cannot append progress to {}: {}", file, e.toString()); // informational
    }
  }

  private static String format(Instant watermark) {
    if (!watermark.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE)) {
      return "-inf";
    }
    if (!watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
      return "+inf";
    }
    return watermark.toString();
  }
}
