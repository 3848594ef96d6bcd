package io.beamline.benchmarks;

import org.apache.beam.sdk.values.KV;

/**
 * The records of the Kafka benchmarks and the transform both systems under test apply (the MicroBatchRunner
 * pipeline and the plain kafka-clients loop), so they do exactly the same work per record.
 *
 * <ul>
 *   <li><b>Input</b> record: no key; value {@code "<id>,<amount>"} (UTF-8), {@code amount = id % 1000}; Kafka
 *       timestamp (CreateTime) = the load generator's wall clock when it called {@code send}.
 *   <li><b>Transform</b>: parse the value, key by {@code "k" + id % 64}, format {@code "<id>,<2 * amount>,<input
 *       record's Kafka timestamp>"}. The input timestamp travels in the value, so the driver can compute each
 *       output record's latency.
 *   <li><b>Output</b> record: that key and value; Kafka timestamp = the sink's producer clock at {@code send}
 *       (both systems leave the timestamp unset).
 * </ul>
 */
final class KafkaCopy {

  /** Output keys: {@code id % KEYS}. */
  static final int KEYS = 64;

  private KafkaCopy() {}

  /** The input value of record {@code id}. */
  static String inputValue(long id) {
    return id + "," + (id % 1000);
  }

  /** The transform: {@code "<id>,<amount>"} with Kafka timestamp {@code ts} → {@code k<id%64> -> "<id>,<2*amount>,<ts>"}. */
  static KV<String, String> transform(String value, long inputTimestamp) {
    int comma = value.indexOf(',');
    long id = Long.parseLong(value, 0, comma, 10);
    long amount = Long.parseLong(value, comma + 1, value.length(), 10);
    return KV.of("k" + (id % KEYS), id + "," + (2 * amount) + "," + inputTimestamp);
  }

  /** A parsed output value. */
  record Output(long id, long amount2, long inputTimestamp) {

    /** Parses {@code "<id>,<2*amount>,<ts>"}; throws on anything else. */
    static Output parse(String value) {
      int a = value.indexOf(',');
      int b = value.indexOf(',', a + 1);
      if (a <= 0 || b <= a) {
        throw new IllegalArgumentException("not an output value: '" + value + "'");
      }
      return new Output(
          Long.parseLong(value, 0, a, 10),
          Long.parseLong(value, a + 1, b, 10),
          Long.parseLong(value, b + 1, value.length(), 10));
    }

    /** True if the transform was applied to the input of {@link #id}. */
    boolean transformedCorrectly() {
      return amount2 == 2 * (id % 1000);
    }
  }
}
