package io.beamline.monitoring.internal;

import io.beamline.monitoring.BoundedProgress;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Prints a bounded job's progress to the console: a bar redrawn in place ({@code \r}) when the
 * output is a terminal, otherwise one plain line every 10 s (logs and CI output stay readable).
 *
 * <p>Threading: {@link #start()} schedules {@link #tick()} on one daemon thread; {@link #close()}
 * may be called from any thread and prints the final state once.
 */
public final class ConsoleProgress implements AutoCloseable {
  static final int BAR_WIDTH = 30;
  static final long BAR_PERIOD_MILLIS = 250;
  static final long LINE_PERIOD_MILLIS = 10_000;

  private final BoundedProgress progress;
  private final PrintStream out;
  private final boolean bar;
  private ScheduledExecutorService timer;
  private boolean closed;

  /**
   * @param bar true for a bar redrawn in place, false for periodic lines
   */
  public ConsoleProgress(BoundedProgress progress, PrintStream out, boolean bar) {
    this.progress = progress;
    this.out = out;
    this.bar = bar;
  }

  /** Starts printing. */
  public synchronized void start() {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "beamline-console-progress");
              t.setDaemon(true);
              return t;
            });
    long period = bar ? BAR_PERIOD_MILLIS : LINE_PERIOD_MILLIS;
    timer.scheduleAtFixedRate(this::tick, period, period, TimeUnit.MILLISECONDS);
  }

  /** Prints the current state once (a redrawn bar, or a line). */
  public synchronized void tick() {
    if (closed || !progress.started()) {
      return;
    }
    BoundedProgress.Snapshot s = progress.snapshot();
    if (bar) {
      out.print('\r' + renderBar(s));
    } else {
      out.println(renderLine(s));
    }
    out.flush();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    if (timer != null) {
      timer.shutdownNow();
    }
    if (progress.started()) {
      BoundedProgress.Snapshot s = progress.snapshot();
      if (bar) {
        out.println('\r' + renderBar(s));
      } else {
        out.println(renderLine(s));
      }
      out.flush();
    }
    closed = true;
  }

  /** {@code [#######.......]  42%  1,234,567 rows  120.5/286.0 MiB  0:12 elapsed  ETA 0:17}. */
  static String renderBar(BoundedProgress.Snapshot s) {
    StringBuilder b = new StringBuilder("[");
    if (s.fraction() >= 0) {
      int filled = (int) Math.round(s.fraction() * BAR_WIDTH);
      b.append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ");
      b.append(String.format(Locale.ROOT, "%3.0f%%", s.fraction() * 100));
    } else {
      // size unknown: a marker bouncing with the elapsed time, so the bar still shows life
      int pos = (int) ((s.elapsedMillis() / BAR_PERIOD_MILLIS) % BAR_WIDTH);
      b.append(".".repeat(pos)).append('#').append(".".repeat(BAR_WIDTH - pos - 1)).append("]   ?%");
    }
    return b.append("  ").append(figures(s)).toString();
  }

  /** {@code progress: 42%, 1,234,567 rows, 120.5 of 286.0 MiB read, 0:12 elapsed, ETA 0:17}. */
  static String renderLine(BoundedProgress.Snapshot s) {
    String percent =
        s.fraction() >= 0 ? String.format(Locale.ROOT, "%.0f%%, ", s.fraction() * 100) : "";
    return "progress: " + percent + figures(s).replace("  ", ", ");
  }

  private static String figures(BoundedProgress.Snapshot s) {
    String size =
        s.estimatedBytes() > 0
            ? mib(s.bytesRead()) + "/" + mib(s.estimatedBytes()) + " MiB"
            : mib(s.bytesRead()) + " MiB";
    String eta =
        s.finished() ? "done" : s.etaMillis() >= 0 ? "ETA " + clock(s.etaMillis()) : "ETA ?";
    return String.format(Locale.ROOT, "%,d rows", s.rows())
        + "  "
        + size
        + "  "
        + clock(s.elapsedMillis())
        + " elapsed  "
        + eta;
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f", bytes / (1024.0 * 1024.0));
  }

  /** {@code m:ss} or {@code h:mm:ss}. */
  static String clock(long millis) {
    long s = millis / 1000;
    if (s >= 3600) {
      return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
    return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
