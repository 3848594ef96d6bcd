package io.beamline.sdk.internal.execution;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * One partition of one stage: instantiates the stage's operators, drives its input through them,
 * and tears them down. Runs on one pool thread; see {@link Operator} for the call order.
 */
final class StageTask implements Callable<TaskContext> {
  private final Stage stage;
  private final TaskContext context;
  private final List<?> splits;
  private final Exchange input;

  /**
   * @param splits the source splits this task reads (source stages), else null
   * @param input the exchange this task reads its partition of (exchange stages), else null
   */
  StageTask(Stage stage, TaskContext context, List<?> splits, Exchange input) {
    this.stage = stage;
    this.context = context;
    this.splits = splits;
    this.input = input;
  }

  @Override
  public TaskContext call() throws Exception {
    io.beamline.sdk.io.EpochInfo info = context.epoch().info();
    return info == null ? execute() : io.beamline.sdk.io.EpochInfo.runWith(info, this::execute);
  }

  private TaskContext execute() throws Exception {
    List<Operator> operators = new ArrayList<>();
    Exception failure = null;
    try {
      for (OperatorSpec spec : stage.operators()) {
        Operator op = spec.create(context);
        context.register(spec, op);
        operators.add(op);
      }
      for (int i = operators.size() - 1; i >= 0; i--) {
        operators.get(i).open();
      }
      driveInput(operators);
      for (Operator op : operators) {
        op.finish();
      }
      context.flushExchanges();
    } catch (Exception e) {
      failure = e;
    } finally {
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
    }
    if (failure != null) {
      throw new TaskFailedException(context, failure);
    }
    context.bundleFinalizer().getAndClearFinalizations().forEach(this::runFinalization);
    return context;
  }

  private void driveInput(List<Operator> operators) throws Exception {
    if (stage.source() != null) {
      Operator.Receiver output = context.receiver(stage.sourceOutput());
      for (Object split : splits) {
        stage.source().read(split, context, output);
      }
    } else {
      Operator root = operators.get(0);
      for (Object element : input.partition(context.partition())) {
        root.process(element);
      }
    }
  }

  private void runFinalization(
      org.apache.beam.runners.core.InMemoryBundleFinalizer.Finalization finalization) {
    try {
      finalization.getCallback().onBundleSuccess();
    } catch (Exception e) {
      throw new RuntimeException("Bundle finalization callback failed in " + stage, e);
    }
  }

  /** A task failed; carries the task's metrics so attempted metrics still count its work. */
  static final class TaskFailedException extends Exception {
    final transient TaskContext context;

    TaskFailedException(TaskContext context, Exception cause) {
      super(cause);
      this.context = context;
    }
  }
}
