package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.plan.OperatorSpec;
import io.beamline.sdk.internal.plan.Stage;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.InMemoryBundleFinalizer;
import org.joda.time.Instant;

/**
 * One partition of one stage: the stage's operators for that partition, created and opened once
 * and kept for the run, and the engine-neutral way to drive them. An engine feeds input ({@link
 * #processElement} for a stage fed by an exchange, {@link #sourceOutput()} for a source stage),
 * moves time ({@link #advanceInputWatermark}, {@link #advanceProcessingTime}) and ends bundles
 * ({@link #finishBundle}); each call goes to the operators from upstream to downstream (see {@link
 * Operator}).
 *
 * <p>Threading: confined to one thread at a time, like its operators.
 */
public final class StageTask {
  private final Stage stage;
  private final TaskContext context;
  private final List<Operator> operators = new ArrayList<>();
  private boolean opened;
  private boolean closed;

  /**
   * Creates the stage's operators for {@code context}'s partition.
   *
   * @throws Exception if an operator cannot be created
   */
  public StageTask(Stage stage, TaskContext context) throws Exception {
    this.stage = stage;
    this.context = context;
    for (OperatorSpec spec : stage.operators()) {
      Operator op = OperatorFactory.create(spec, context);
      context.register(spec, op);
      operators.add(op);
    }
  }

  public Stage stage() {
    return stage;
  }

  public TaskContext context() {
    return context;
  }

  /** Opens the operators, downstream first; once. */
  public void open() throws Exception {
    if (opened) {
      return;
    }
    opened = true;
    for (int i = operators.size() - 1; i >= 0; i--) {
      operators.get(i).open();
    }
  }

  /** Where a source stage emits what it reads. */
  public Operator.Receiver sourceOutput() {
    return context.receiver(stage.sourceOutput());
  }

  /** Gives one (decoded) element of the input exchange to the stage's root operator. */
  public void processElement(Object element) throws Exception {
    operators.get(0).processElement(element);
  }

  /**
   * The stage's input watermark moved to {@code watermark}; each operator gets it held back by the
   * holds of the operators before it.
   */
  public void advanceInputWatermark(Instant watermark) throws Exception {
    Instant current = watermark;
    for (Operator op : operators) {
      op.advanceInputWatermark(current);
      Instant hold = op.outputWatermarkHold();
      if (hold.isBefore(current)) {
        current = hold;
      }
    }
  }

  /** Processing time, both kinds, moved to {@code processingTime}. */
  public void advanceProcessingTime(Instant processingTime) throws Exception {
    advanceProcessingTime(processingTime, processingTime);
  }

  /**
   * Processing time moved to {@code processingTime}, synchronized processing time to {@code
   * synchronizedTime} (see {@link Operator#advanceProcessingTime}).
   */
  public void advanceProcessingTime(Instant processingTime, Instant synchronizedTime)
      throws Exception {
    for (Operator op : operators) {
      op.advanceProcessingTime(processingTime, synchronizedTime);
    }
  }

  /**
   * Ends the bundle of every operator, upstream first, then checks that nothing output in it was
   * mutated (when model checks are on). Exchange writers are not flushed: see {@link
   * #flushExchanges()}.
   */
  public void finishBundle() throws Exception {
    for (Operator op : operators) {
      op.finishBundle();
    }
    ModelEnforcement enforcement = context.enforcement();
    if (enforcement != null) {
      enforcement.verifyOutputsUnmodified();
    }
  }

  /** Hands what this task wrote into exchanges over to them. */
  public void flushExchanges() {
    context.flushExchanges();
  }

  /** Runs the bundle finalizations registered in finished bundles ({@code BundleFinalizer}). */
  public void finalizeBundles() {
    for (InMemoryBundleFinalizer.Finalization finalization :
        context.bundleFinalizer().getAndClearFinalizations()) {
      try {
        finalization.getCallback().onBundleSuccess();
      } catch (Exception e) {
        throw new RuntimeException("Bundle finalization callback failed in " + stage, e);
      }
    }
  }

  /** The earliest timestamp any operator of the task may still emit (see {@link Operator}). */
  public Instant outputWatermarkHold() {
    Instant hold = org.apache.beam.sdk.transforms.windowing.BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (Operator op : operators) {
      Instant held = op.outputWatermarkHold();
      if (held.isBefore(hold)) {
        hold = held;
      }
    }
    return hold;
  }

  /**
   * Closes every operator once, also when some fail.
   *
   * @throws Exception the first failure, the others suppressed into it
   */
  public void close() throws Exception {
    if (closed) {
      return;
    }
    closed = true;
    Exception failure = null;
    for (Operator op : operators) {
      try {
        op.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public String toString() {
    return stage + " partition " + context.partition();
  }
}
