package io.beamline.runners.microbatch.testing;

import io.beamline.sdk.testing.SequenceSource;
import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import io.beamline.runners.microbatch.MicroBatchPipelineResult;
import java.util.Random;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * A job whose keyed state is larger than its heap: one value of {@code --valueBytes} random bytes
 * per key for {@code --records} keys, each read back and checked on a second visit. Prints {@code
 * STATE-BYTES <n>} (the state backend's size after the last epoch) and {@code CHECKED <n>}.
 */
public final class LargeStatePipeline {

  /** The job's own options. */
  public interface Options extends MicroBatchPipelineOptions {
    @Description("Keys")
    Long getRecords();

    void setRecords(Long value);

    @Description("Bytes of state per key")
    Integer getValueBytes();

    void setValueBytes(Integer value);
  }

  public static void main(String[] args) {
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    Pipeline p = Pipeline.create(options);
    long records = options.getRecords();
    p.apply("Numbers", Read.from(new SequenceSource(2 * records)))
        .apply(
            "Key",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(n -> KV.of(n % records, n)))
        .apply("Remember", ParDo.of(new RememberFn(options.getValueBytes())));
    MicroBatchPipelineResult result = (MicroBatchPipelineResult) p.run();
    result.waitUntilFinish();
    long checked =
        result
            .metrics()
            .allMetrics()
            .getCounters()
            .iterator()
            .next()
            .getCommitted();
    long maxState =
        result.recentProgress().stream().mapToLong(e -> e.stateBytes()).max().orElse(0);
    System.out.println("STATE-BYTES " + maxState);
    System.out.println("CHECKED " + checked);
  }

  /** First visit of a key stores a value derived from the key; the second checks it. */
  static final class RememberFn extends DoFn<KV<Long, Long>, Void> {
    private final int valueBytes;

    @StateId("value")
    private final StateSpec<ValueState<byte[]>> valueSpec = StateSpecs.value();

    RememberFn(int valueBytes) {
      this.valueBytes = valueBytes;
    }

    @ProcessElement
    public void process(@Element KV<Long, Long> element, @StateId("value") ValueState<byte[]> value) {
      byte[] expected = new byte[valueBytes];
      new Random(element.getKey()).nextBytes(expected);
      byte[] stored = value.read();
      if (stored == null) {
        value.write(expected);
      } else if (java.util.Arrays.equals(stored, expected)) {
        Metrics.counter(LargeStatePipeline.class, "checked").inc();
      } else {
        throw new AssertionError("State of key " + element.getKey() + " is wrong");
      }
    }
  }

  private LargeStatePipeline() {}
}
