package io.beamline.runners.microbatch;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * {@link MicroBatchRunner} for {@code TestPipeline} ({@code --runner=TestMicroBatchRunner}): {@link
 * #run} blocks until the pipeline has finished and fails with the pipeline's error, so that a
 * failed {@code PAssert} reaches the test as an exception whose cause is the {@link AssertionError}.
 */
public final class TestMicroBatchRunner extends PipelineRunner<MicroBatchPipelineResult> {
  private final MicroBatchRunner delegate;

  private TestMicroBatchRunner(MicroBatchRunner delegate) {
    this.delegate = delegate;
  }

  /** Creates the runner; called by Beam for {@code --runner=TestMicroBatchRunner}. */
  public static TestMicroBatchRunner fromOptions(PipelineOptions options) {
    return new TestMicroBatchRunner(MicroBatchRunner.fromOptions(options));
  }

  /**
   * Runs {@code pipeline} to completion.
   *
   * @throws Pipeline.PipelineExecutionException if the pipeline failed; its cause is the user
   *     code's exception (for example the {@code AssertionError} of a failed {@code PAssert})
   */
  @Override
  public MicroBatchPipelineResult run(Pipeline pipeline) {
    MicroBatchPipelineResult result = delegate.run(pipeline);
    result.waitUntilFinish();
    return result;
  }
}
