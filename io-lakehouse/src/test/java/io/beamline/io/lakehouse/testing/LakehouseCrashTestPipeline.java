package io.beamline.io.lakehouse.testing;

import io.beamline.io.kafka.KafkaIO;
import io.beamline.io.kafka.KafkaRecord;
import io.beamline.io.lakehouse.IcebergIO;
import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.iceberg.data.Record;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The job the lakehouse crash tests kill: Kafka → fixed event-time windows → Iceberg. Input values
 * are unique ids (decimal), whose event time is {@code id} seconds; each id goes to key {@code
 * "k" + id % 4}; every 20-second window of a key becomes one row {@code (key, window_start, rows,
 * id_sum, first_id, last_id)} in the table, partitioned by key. The last record of each input
 * partition is {@code "end"}, whose event time (10⁷ s) moves the watermark past every window so
 * that a run with {@code --trigger=availableNow} writes them all.
 *
 * <p>The table is a function of the input alone, whatever the epochs: a window lost from state, an
 * id counted twice, or an epoch committed twice shows as a missing, wrong or duplicated row. The
 * sink compacts every 2 s (4 small files per partition) and never expires snapshots (an expiry
 * killed half-way would leave files behind that the orphan check would count).
 */
public final class LakehouseCrashTestPipeline {
  public static final long WINDOW_SECONDS = 20;
  public static final int KEYS = 4;
  public static final String END = "end";
  public static final String TABLE = "crash.windows";

  public static final Schema SCHEMA =
      Schema.builder()
          .addStringField("key")
          .addDateTimeField("window_start")
          .addInt64Field("rows")
          .addInt64Field("id_sum")
          .addInt64Field("first_id")
          .addInt64Field("last_id")
          .build();

  /** The job's options. */
  public interface Options extends MicroBatchPipelineOptions {
    @Description("Kafka bootstrap servers")
    @Validation.Required
    String getBootstrapServers();

    void setBootstrapServers(String value);

    @Description("Input topic")
    @Validation.Required
    String getInputTopic();

    void setInputTopic(String value);

    @Description("Warehouse directory of the embedded catalog")
    @Validation.Required
    String getWarehouse();

    void setWarehouse(String value);
  }

  public static void main(String[] args) {
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    Pipeline p = Pipeline.create(options);
    p.apply(
            "Read",
            KafkaIO.<String, String>read()
                .withBootstrapServers(options.getBootstrapServers())
                .withTopic(options.getInputTopic())
                .withKeyDeserializer(StringDeserializer.class)
                .withValueDeserializer(StringDeserializer.class)
                .withTimestampFn(r -> eventTime(r.value())))
        .apply("DropEndMarkers", Filter.by((KafkaRecord<String, String> r) -> !END.equals(r.value())))
        .apply(
            "Key",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                .via((KafkaRecord<String, String> r) -> {
                  long id = Long.parseLong(r.value());
                  return KV.of(keyOf(id), id);
                }))
        .apply("Windows", Window.into(FixedWindows.of(Duration.standardSeconds(WINDOW_SECONDS))))
        .apply("Group", GroupByKey.create())
        .apply("Aggregate", ParDo.of(new AggregateFn()))
        .setRowSchema(SCHEMA)
        .apply(
            "Lakehouse",
            IcebergIO.<Row>write()
                .withWarehouse(options.getWarehouse())
                .withTable(TABLE)
                .withPartitionFields("identity(key)")
                .withSinkId("crash-test")
                .withoutSnapshotExpiry()
                .withCompaction(4, 128L << 20)
                .withUpkeepInterval(Duration.standardSeconds(2)));
    p.run().waitUntilFinish();
    System.out.println("LAKEHOUSE-CRASH-TEST-PIPELINE DONE");
  }

  static Instant eventTime(String value) {
    return END.equals(value) ? new Instant(10_000_000_000L) : new Instant(Long.parseLong(value) * 1000);
  }

  static String keyOf(long id) {
    return "k" + (id % KEYS);
  }

  /** One row per key and window. */
  static final class AggregateFn extends DoFn<KV<String, Iterable<Long>>, Row> {
    @ProcessElement
    public void process(
        @Element KV<String, Iterable<Long>> e, IntervalWindow window, OutputReceiver<Row> out) {
      long rows = 0;
      long sum = 0;
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (long id : e.getValue()) {
        rows++;
        sum += id;
        first = Math.min(first, id);
        last = Math.max(last, id);
      }
      out.output(Row.withSchema(SCHEMA).addValues(e.getKey(), window.start(), rows, sum, first, last).build());
    }
  }

  /** A table row as text, for comparing multisets. */
  public static String line(Record r) {
    return r.getField("key") + "|"
        + ((java.time.OffsetDateTime) r.getField("window_start")).toInstant().toEpochMilli() + "|"
        + r.getField("rows") + "|" + r.getField("id_sum") + "|" + r.getField("first_id") + "|"
        + r.getField("last_id");
  }

  /** The rows an uninterrupted run writes for the committed ids, as {@link #line}s with counts. */
  public static Map<String, Integer> expected(Iterable<Long> ids) {
    Map<String, long[]> windows = new HashMap<>();
    for (long id : ids) {
      long start = id / WINDOW_SECONDS * WINDOW_SECONDS * 1000;
      long[] a = windows.computeIfAbsent(keyOf(id) + "|" + start,
          k -> new long[] {0, 0, Long.MAX_VALUE, Long.MIN_VALUE});
      a[0]++;
      a[1] += id;
      a[2] = Math.min(a[2], id);
      a[3] = Math.max(a[3], id);
    }
    Map<String, Integer> out = new HashMap<>();
    windows.forEach((k, a) -> out.merge(k + "|" + a[0] + "|" + a[1] + "|" + a[2] + "|" + a[3], 1, Integer::sum));
    return out;
  }

  private LakehouseCrashTestPipeline() {}
}
