package io.beamline.vr.conformance;

import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.TestPipeline;

/**
 * The runner configurations every conformance test runs its pipeline on: Beam's DirectRunner (the
 * reference) and TestMicroBatchRunner in batch and in streaming mode. A test is parameterized over
 * them and asserts the same thing on each, so a DirectRunner pass shows that the assertion states
 * Beam's semantics and a MicroBatchRunner failure is a conformance bug.
 */
public enum ConformanceRunner {
  DIRECT("--runner=DirectRunner"),
  MICROBATCH_BATCH("--runner=TestMicroBatchRunner"),
  MICROBATCH_STREAMING("--runner=TestMicroBatchRunner", "--streaming=true");

  private final String[] args;

  ConformanceRunner(String... args) {
    this.args = args;
  }

  /** Every configuration, for {@code @Parameterized.Parameters}. */
  public static List<ConformanceRunner> all() {
    return Arrays.asList(values());
  }

  /** Fresh pipeline options of this configuration. */
  public PipelineOptions options() {
    return PipelineOptionsFactory.fromArgs(args).create();
  }

  /** A {@link TestPipeline} (to be used as a {@code @Rule}) on this configuration. */
  public TestPipeline pipeline() {
    return TestPipeline.fromOptions(options());
  }

  public boolean isMicroBatch() {
    return this != DIRECT;
  }
}
