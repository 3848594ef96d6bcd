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
 *   <li><b>Count per key</b> ({@code --count-per-key}, the stateful variant): after the transform, the count of
 *       records seen so far for the output key is appended to the value, {@code "<id>,<2 * amount>,<ts>,<count>"},
 *       emitting every update. The pipelines keep it in keyed state ({@link CountPerKey}, behind a shuffle by key);
 *       the floor in a hash map per loop.
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

  /** The transform's output with the key's running count appended to its value. */
  static KV<String, String> withCount(KV<String, String> transformed, long count) {
    return KV.of(transformed.getKey(), transformed.getValue() + "," + count);
  }

  /** The stateful step of the count-per-key variant: a running count per key in {@code ValueState}. */
  static final class CountPerKey extends org.apache.beam.sdk.transforms.DoFn<KV<String, String>, KV<String, String>> {
    @StateId("count")
    private final org.apache.beam.sdk.state.StateSpec<org.apache.beam.sdk.state.ValueState<Long>> countSpec =
        org.apache.beam.sdk.state.StateSpecs.value(org.apache.beam.sdk.coders.VarLongCoder.of());

    @ProcessElement
    public void process(
        @Element KV<String, String> element,
        @StateId("count") org.apache.beam.sdk.state.ValueState<Long> count,
        OutputReceiver<KV<String, String>> out) {
      Long previous = count.read();
      long next = previous == null ? 1 : previous + 1;
      count.write(next);
      out.output(withCount(element, next));
    }
  }

  /** A parsed output value. */
  record Output(long id, long amount2, long inputTimestamp) {

    /** Parses {@code "<id>,<2*amount>,<ts>"} (and {@code ",<count>"} after it); throws on anything else. */
    static Output parse(String value) {
      int a = value.indexOf(',');
      int b = value.indexOf(',', a + 1);
      if (a <= 0 || b <= a) {
        throw new IllegalArgumentException("not an output value: '" + value + "'");
      }
      int c = value.indexOf(',', b + 1);
      if (c >= 0 && Long.parseLong(value, c + 1, value.length(), 10) < 1) {
        throw new IllegalArgumentException("not a count in output value: '" + value + "'");
      }
      return new Output(
          Long.parseLong(value, 0, a, 10),
          Long.parseLong(value, a + 1, b, 10),
          Long.parseLong(value, b + 1, c < 0 ? value.length() : c, 10));
    }

    /** True if the transform was applied to the input of {@link #id}. */
    boolean transformedCorrectly() {
      return amount2 == 2 * (id % 1000);
    }
  }
}
