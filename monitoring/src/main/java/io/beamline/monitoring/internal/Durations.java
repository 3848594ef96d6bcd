package io.beamline.monitoring.internal;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations written as in {@code --batchInterval}: a whole number and a unit. */
public final class Durations {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

  private Durations() {}

  /**
   * Milliseconds of {@code 500ms}, {@code 30s}, {@code 5m} or {@code 1h} (case-insensitive).
   *
   * @throws IllegalArgumentException naming {@code option} if the value has no unit, a fraction or
   *     an unknown unit
   */
  public static long parseMillis(String value, String option) {
    Matcher m = DURATION.matcher(value == null ? "" : value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "--" + option + " must be a whole number with a unit ms, s, m or h (e.g. 500ms, 30s, 5m),"
              + " got '" + value + "'");
    }
    long amount = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "ms":
        return amount;
      case "s":
        return amount * 1_000;
      case "m":
        return amount * 60_000;
      default:
        return amount * 3_600_000;
    }
  }

  /** {@code 250 ms}, {@code 1.5 s}, {@code 2 min}: for messages. */
  public static String describe(double millis) {
    if (millis < 1_000) {
      return String.format(Locale.ROOT, "%.0f ms", millis);
    }
    if (millis < 120_000) {
      return String.format(Locale.ROOT, "%.1f s", millis / 1_000);
    }
    return String.format(Locale.ROOT, "%.1f min", millis / 60_000);
  }
}
