package io.beamline.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the numbers were measured on: date, cores, memory, CPU model, OS, the children's {@code java -version}. */
final class MachineInfo {

  private MachineInfo() {}

  static Map<String, String> collect(String javaBinary) {
    Map<String, String> info = new LinkedHashMap<>();
    info.put("date", ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    info.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
    info.put("memory", memory());
    info.put("cpu", cpuModel());
    info.put("os", osName());
    info.put("java", javaVersion(javaBinary));
    info.put("load", loadAverage());
    info.put("commit", gitCommit());
    return info;
  }

  /** The 1, 5 and 15 minute load averages from /proc/loadavg, e.g. {@code 0.12 0.30 0.25}; empty if unknown. */
  static String loadAverage() {
    List<String> lines = readLines(Path.of("/proc/loadavg"));
    if (lines.isEmpty()) {
      return "";
    }
    String[] parts = lines.get(0).trim().split("\\s+");
    return parts.length >= 3 ? parts[0] + " " + parts[1] + " " + parts[2] : "";
  }

  /** The 1-minute load average, or -1 if unknown. */
  static double loadAverage1() {
    String load = loadAverage();
    try {
      return load.isEmpty() ? -1 : Double.parseDouble(load.split(" ")[0]);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String memory() {
    for (String line : readLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemTotal:")) {
        String[] parts = line.trim().split("\\s+");
        try {
          long kb = Long.parseLong(parts[1]);
          return String.format("%.1f GiB", kb / 1024.0 / 1024.0);
        } catch (RuntimeException e) {
          return line;
        }
      }
    }
    return "unknown";
  }

  private static String cpuModel() {
    for (String line : readLines(Path.of("/proc/cpuinfo"))) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return System.getProperty("os.arch");
  }

  private static String osName() {
    String pretty = null;
    for (String line : readLines(Path.of("/etc/os-release"))) {
      if (line.startsWith("PRETTY_NAME=")) {
        pretty = line.substring("PRETTY_NAME=".length()).replace("\"", "");
      }
    }
    String kernel =
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch");
    return pretty == null ? kernel : pretty + " (" + kernel + ")";
  }

  /** {@code git describe --always --dirty} of the working directory (what the runners were built from), or "?". */
  static String gitCommit() {
    try {
      Process p = new ProcessBuilder("git", "describe", "--always", "--dirty").redirectErrorStream(true).start();
      String out;
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
      }
      boolean done = p.waitFor(30, TimeUnit.SECONDS);
      return done && p.exitValue() == 0 && !out.isEmpty() ? out : "?";
    } catch (IOException e) {
      return "?";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "?";
    }
  }

  /** First line of {@code java -version} plus the VM line, e.g. {@code openjdk version "17.0.15" ...; OpenJDK 64-Bit ...}. */
  static String javaVersion(String javaBinary) {
    try {
      Process p = new ProcessBuilder(javaBinary, "-version").redirectErrorStream(true).start();
      String out;
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      p.waitFor(30, TimeUnit.SECONDS);
      String[] lines = out.strip().split("\\R");
      return lines.length >= 3 ? lines[0] + "; " + lines[2] : String.join("; ", lines);
    } catch (IOException e) {
      return System.getProperty("java.version") + " (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return System.getProperty("java.version");
    }
  }

  private static List<String> readLines(Path path) {
    try {
      return Files.readAllLines(path, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
