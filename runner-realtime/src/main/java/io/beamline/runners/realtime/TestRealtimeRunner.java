package io.beamline.runners.realtime;

import io.beamline.sdk.internal.checkpoint.TemporaryCheckpointParent;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * {@link RealtimeRunner} for {@code TestPipeline} ({@code --runner=TestRealtimeRunner}): {@link
 * #run} blocks until the pipeline has finished and fails with the pipeline's error, so that a
 * failed {@code PAssert} reaches the test as an exception whose cause is the {@link
 * AssertionError}. Unless {@code --enforceModel=false}, it checks that the pipeline keeps Beam's
 * model (encodable elements, no mutation after output or of ParDo inputs), as DirectRunner does. A
 * TestStream drives a synthetic processing-time clock, so tests need no sleeps. A run that would be
 * checkpointed by default and names no directory checkpoints in a temporary one ({@link
 * TemporaryCheckpointParent}).
 */
public final class TestRealtimeRunner extends PipelineRunner<RealtimePipelineResult> {
  private final RealtimeRunner delegate;

  private TestRealtimeRunner(RealtimeRunner delegate) {
    this.delegate = delegate;
  }

  /** Creates the runner; called by Beam for {@code --runner=TestRealtimeRunner}. */
  public static TestRealtimeRunner fromOptions(PipelineOptions options) {
    return new TestRealtimeRunner(RealtimeRunner.fromOptions(options));
  }

  /**
   * Runs {@code pipeline} to completion.
   *
   * @throws Pipeline.PipelineExecutionException if the pipeline failed; its cause is the user
   *     code's exception (for example the {@code AssertionError} of a failed {@code PAssert})
   */
  @Override
  public RealtimePipelineResult run(Pipeline pipeline) {
    RealtimePipelineOptions options = pipeline.getOptions().as(RealtimePipelineOptions.class);
    if (options.getEnforceModel() == null) {
      options.setEnforceModel(true); // as Beam's DirectRunner in tests
    }
    try (TemporaryCheckpointParent checkpoints = TemporaryCheckpointParent.install(options)) {
      RealtimePipelineResult result = delegate.run(pipeline);
      result.waitUntilFinish();
      return result;
    }
  }
}
