package io.beamline.runners.microbatch;

import io.beamline.sdk.internal.checkpoint.TemporaryCheckpointParent;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * {@link MicroBatchRunner} for {@code TestPipeline} ({@code --runner=TestMicroBatchRunner}): {@link
 * #run} blocks until the pipeline has finished and fails with the pipeline's error, so that a
 * failed {@code PAssert} reaches the test as an exception whose cause is the {@link AssertionError}.
 * A run that would be checkpointed by default (it reads an {@code UnboundedSource}) and has no
 * {@code --checkpointDir} is checkpointed in a temporary directory deleted afterwards, so that a
 * test never resumes the checkpoint of an earlier test with the same name. Unless {@code
 * --enforceModel=false}, it checks that the pipeline keeps Beam's model (encodable elements, no
 * mutation after output or of ParDo inputs), as DirectRunner does. Nobody can look at a run that
 * {@link #run} waits for, so it has no web UI ({@code --uiPort=0}).
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
    MicroBatchPipelineOptions options = pipeline.getOptions().as(MicroBatchPipelineOptions.class);
    if (options.getEnforceModel() == null) {
      options.setEnforceModel(true); // as Beam's DirectRunner in tests
    }
    Integer uiPort = options.getUiPort();
    options.setUiPort(0);
    try (TemporaryCheckpointParent checkpoints = TemporaryCheckpointParent.install(options)) {
      MicroBatchPipelineResult result = delegate.run(pipeline);
      result.waitUntilFinish();
      return result;
    } finally {
      options.setUiPort(uiPort);
    }
  }
}
