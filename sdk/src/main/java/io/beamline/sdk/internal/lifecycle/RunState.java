package io.beamline.sdk.internal.lifecycle;

import java.util.EnumSet;
import java.util.Set;
import org.apache.beam.sdk.PipelineResult;

/**
 * The lifecycle of one run, as every Beamline runner's result reports it:
 *
 * <pre>
 *   STARTING ──► RUNNING ──► DONE
 *      │            ├──────► FAILED
 *      └────────────┴──────► CANCELLED
 *   (STARTING ──► FAILED too: a run that fails before its first epoch)
 * </pre>
 *
 * DONE, FAILED and CANCELLED are terminal. {@link #beamState()} is what {@code
 * PipelineResult.getState()} returns.
 */
public enum RunState {
  STARTING(PipelineResult.State.RUNNING),
  RUNNING(PipelineResult.State.RUNNING),
  DONE(PipelineResult.State.DONE),
  FAILED(PipelineResult.State.FAILED),
  CANCELLED(PipelineResult.State.CANCELLED);

  private final PipelineResult.State beamState;

  RunState(PipelineResult.State beamState) {
    this.beamState = beamState;
  }

  /** Beam's name for this state. */
  public PipelineResult.State beamState() {
    return beamState;
  }

  public boolean isTerminal() {
    return successors().isEmpty();
  }

  /** The states this one may change into. */
  public Set<RunState> successors() {
    switch (this) {
      case STARTING:
        return EnumSet.of(RUNNING, FAILED, CANCELLED);
      case RUNNING:
        return EnumSet.of(DONE, FAILED, CANCELLED);
      default:
        return EnumSet.noneOf(RunState.class);
    }
  }

  /**
   * {@code next}, after checking it may follow this state.
   *
   * @throws IllegalStateException if the change is not allowed
   */
  public RunState to(RunState next) {
    if (!successors().contains(next)) {
      throw new IllegalStateException("A run cannot go from " + this + " to " + next);
    }
    return next;
  }
}
