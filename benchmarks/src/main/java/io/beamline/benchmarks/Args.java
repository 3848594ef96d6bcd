package io.beamline.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Minimal {@code --key=value} / {@code --flag} parsing (no CLI library, to keep the classpath to Beam's). */
final class Args {

  private Args() {}

  static Map<String, String> parse(String[] args) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String arg : args) {
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new IllegalArgumentException("expected --key=value or --flag, got '" + arg + "'");
      }
      int eq = arg.indexOf('=');
      if (eq < 0) {
        out.put(arg.substring(2), "");
      } else {
        out.put(arg.substring(2, eq), arg.substring(eq + 1));
      }
    }
    return out;
  }

  static String require(Map<String, String> opts, String key) {
    String v = opts.get(key);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("--" + key + "=... is required");
    }
    return v;
  }

  static int intValue(Map<String, String> opts, String key, int dflt) {
    String v = opts.get(key);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " must be an integer, got '" + v + "'", e);
    }
  }

  static List<String> list(Map<String, String> opts, String key, List<String> dflt) {
    String v = opts.get(key);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    List<String> out = new ArrayList<>();
    for (String s : Arrays.asList(v.split(","))) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }
}
