package io.beamline.sdk.internal.execution;

/**
 * The plan-time description of one step of a stage; {@link #create} makes the per-task {@link
 * Operator}. Specs are immutable and shared by all tasks of a stage.
 */
public interface OperatorSpec {

  /** Full name of the Beam transform this step executes; metrics are reported under it. */
  String stepName();

  /**
   * Creates the operator for one task. Output receivers must be looked up from {@code context} no
   * earlier than in {@link Operator#open()}, when every operator of the task exists.
   */
  Operator create(TaskContext context) throws Exception;
}
