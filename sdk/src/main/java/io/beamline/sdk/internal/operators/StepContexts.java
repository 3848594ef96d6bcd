package io.beamline.sdk.internal.operators;

import java.util.function.Supplier;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.transforms.DoFn.BundleFinalizer;

/** The runners-core {@link StepContext}s our operators hand to {@code DoFnRunner}s. */
final class StepContexts {
  private StepContexts() {}

  /**
   * A context whose state and timers are those of the key being processed; the suppliers are asked
   * on every access, so one runner can serve key after key.
   */
  static StepContext keyed(
      Supplier<StateInternals> state, Supplier<TimerInternals> timers, BundleFinalizer finalizer) {
    return new StepContext() {
      @Override
      public StateInternals stateInternals() {
        return state.get();
      }

      @Override
      public TimerInternals timerInternals() {
        return timers.get();
      }

      @Override
      public BundleFinalizer bundleFinalizer() {
        return finalizer;
      }
    };
  }

  /** A context for a stateless step: asking for state or timers is a bug in the translator. */
  static StepContext stateless(String stepName, BundleFinalizer finalizer) {
    Supplier<StateInternals> noState =
        () -> {
          throw new UnsupportedOperationException(stepName + " is not a stateful ParDo");
        };
    Supplier<TimerInternals> noTimers =
        () -> {
          throw new UnsupportedOperationException(stepName + " is not a stateful ParDo");
        };
    return keyed(noState, noTimers, finalizer);
  }
}
