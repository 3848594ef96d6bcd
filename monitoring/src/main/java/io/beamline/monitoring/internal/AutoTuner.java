package io.beamline.monitoring.internal;

import io.beamline.monitoring.EpochTuner;
import io.beamline.monitoring.EpochTuning;
import io.beamline.sdk.EpochProgress;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Keeps an epoch's processing at or below half of its interval by changing the hybrid trigger's
 * interval and records-per-epoch cap between epochs ({@code --autoTune=true}). Pure logic: it sees
 * only the progress records, and reports each change with its reason to a callback.
 *
 * <p>Model: an epoch's busy time is {@code fixed cost + rows / speed}. After an epoch whose busy
 * time exceeded {@value #TARGET} of the interval:
 *
 * <ul>
 *   <li>if it read a full cap (its input was limited by the cap, so there is more waiting), the cap
 *       drops to the rows the measured speed processes in {@value #AIM} of the interval;
 *   <li>otherwise it read everything that arrived within the interval, and the fixed cost weighs
 *       too much: the interval grows by {@code ratio / AIM}, up to its upper bound; at the bound the
 *       cap drops as above (the rest waits as backlog, which the {@code backlog} alert and the
 *       capacity report then show);
 *   <li>a cap already at its lower bound (100 rows, or the configured cap if smaller) cannot drop:
 *       the interval grows instead.
 * </ul>
 *
 * After {@value #CALM_EPOCHS} epochs in a row below {@value #RELAX} of the interval it gives back:
 * first the cap (doubled, up to the configured one), then the interval (halved, down to the
 * configured one), so latency returns once the load does. After a change it waits one epoch before
 * judging again, so that it judges the new settings.
 *
 * <p>Threading: driver thread only.
 */
public final class AutoTuner implements EpochTuner {
  /** The processing ratio the tuner keeps epochs under. */
  public static final double TARGET = 0.5;
  /** The ratio it aims for when it changes something (a margin under {@link #TARGET}). */
  static final double AIM = 0.4;
  /** Below this ratio an epoch counts as calm. */
  static final double RELAX = 0.2;
  static final int CALM_EPOCHS = 5;
  /** A read of at least this share of the cap counts as capped. */
  private static final double CAPPED = 0.9;

  private final EpochTuning configured;
  private final long maxIntervalMillis;
  private final long minRecords;
  private final Consumer<String> log;
  private EpochTuning current;
  private int calm;
  private boolean settling;

  /**
   * @param configured the interval and cap the job was started with: the interval's lower bound
   *     and the cap's upper bound
   * @param maxIntervalMillis the interval's upper bound (raised to the configured interval if
   *     lower)
   * @param log receives one line per change, saying what changed and why
   */
  public AutoTuner(EpochTuning configured, long maxIntervalMillis, Consumer<String> log) {
    this.configured = configured;
    this.maxIntervalMillis = Math.max(maxIntervalMillis, configured.batchIntervalMillis());
    this.minRecords = Math.min(100, configured.maxRecordsPerEpoch());
    this.log = log;
    this.current = configured;
  }

  @Override
  public EpochTuning current() {
    return current;
  }

  @Override
  public EpochTuning next(EpochProgress p) {
    if (p.replayed()) {
      return current; // a replay re-reads logged offsets: its size is not the trigger's doing
    }
    if (settling) {
      settling = false;
      return current;
    }
    long busy = Epochs.busyMillis(p);
    long interval = current.batchIntervalMillis();
    long cap = current.maxRecordsPerEpoch();
    double ratio = busy / (double) interval;
    if (ratio > TARGET) {
      calm = 0;
      boolean capped = p.inputRows() >= CAPPED * cap;
      long lower = cap;
      double rowsPerMilli = p.inputRows() / (double) Math.max(1, busy);
      long fits = (long) Math.floor(rowsPerMilli * AIM * interval);
      if (p.inputRows() > 0) {
        lower = Math.max(minRecords, Math.min(fits, (long) (cap * CAPPED)));
      }
      boolean canLengthen = interval < maxIntervalMillis;
      if ((capped || !canLengthen) && lower < cap) {
        change(
            new EpochTuning(interval, lower),
            p,
            String.format(
                Locale.ROOT,
                "processing took %.0f%% of the interval for %,d rows (%s); at the measured %.1f"
                    + " rows/ms, %,d rows fit in %.0f%% of it: smaller cap, the rest waits as"
                    + " backlog",
                ratio * 100,
                p.inputRows(),
                capped ? "a full cap" : "the interval is at its upper bound",
                rowsPerMilli,
                fits,
                AIM * 100));
      } else if (canLengthen) {
        long longer = Math.min(maxIntervalMillis, (long) Math.ceil(interval * ratio / AIM));
        change(
            new EpochTuning(Math.max(longer, interval + 1), cap),
            p,
            String.format(
                Locale.ROOT,
                "processing took %.0f%% of the interval for %,d rows (%s), so the fixed cost per"
                    + " epoch weighs too much: longer interval",
                ratio * 100,
                p.inputRows(),
                capped ? "the cap is at its lower bound" : "all that arrived"));
      }
      return current;
    }
    if (ratio < RELAX) {
      calm++;
    } else {
      calm = 0;
    }
    if (calm >= CALM_EPOCHS) {
      calm = 0;
      if (cap < configured.maxRecordsPerEpoch()) {
        change(
            new EpochTuning(interval, Math.min(configured.maxRecordsPerEpoch(), cap * 2)),
            p,
            String.format(
                Locale.ROOT,
                "%d epochs in a row took less than %.0f%% of the interval: larger cap",
                CALM_EPOCHS,
                RELAX * 100));
      } else if (interval > configured.batchIntervalMillis()) {
        change(
            new EpochTuning(Math.max(configured.batchIntervalMillis(), interval / 2), cap),
            p,
            String.format(
                Locale.ROOT,
                "%d epochs in a row took less than %.0f%% of the interval: shorter interval, lower"
                    + " latency",
                CALM_EPOCHS,
                RELAX * 100));
      }
    }
    return current;
  }

  private void change(EpochTuning next, EpochProgress p, String why) {
    if (next.equals(current)) {
      return;
    }
    log.accept(
        String.format(
            Locale.ROOT,
            "auto-tune after epoch %d: batch interval %d -> %d ms, records per epoch %,d -> %,d;"
                + " %s",
            p.epoch(),
            current.batchIntervalMillis(),
            next.batchIntervalMillis(),
            current.maxRecordsPerEpoch(),
            next.maxRecordsPerEpoch(),
            why));
    current = next;
    settling = true;
  }
}
