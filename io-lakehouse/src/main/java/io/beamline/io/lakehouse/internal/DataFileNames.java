package io.beamline.io.lakehouse.internal;

import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of the sink's data files. Iceberg's {@code OutputFileFactory} names a file {@code
 * <partitionId>-<taskId>-<operationId>-<count>.parquet}; the sink passes its shard as partition
 * id, the epoch as task id and {@code bl<tag>x<attempt>} as operation id, where the tag identifies
 * the run and sink ({@link WriteSpec#fileTag}) and the attempt is random per bundle. So {@code
 * 00001-42-bl5f2c0e9d1a7b3c44x9f3e01aa-00001.parquet} is shard 1's first file of epoch 42.
 */
final class DataFileNames {
  private static final Pattern NAME =
      Pattern.compile("^\\d{5}-(\\d+)-bl([0-9a-f]{16})x[0-9a-f]+-\\d{5}(?:-.*)?\\.parquet$");

  private DataFileNames() {}

  static String operationId(String tag) {
    return "bl" + tag + "x" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
  }

  /**
   * True if the file at {@code location} was written by the sink with tag {@code tag} for
   * {@code epoch}.
   */
  static boolean isOf(String location, String tag, long epoch) {
    String name = location.substring(location.lastIndexOf('/') + 1);
    Matcher m = NAME.matcher(name);
    return m.matches() && m.group(2).equals(tag) && Long.parseLong(m.group(1)) == epoch;
  }
}
