package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.state.KeyedStateStore;

import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.StateContext;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.DoFn.BundleFinalizer;
import org.joda.time.Instant;

/**
 * The key a keyed operator is processing, as runners-core sees it: a {@link StateInternals}, a
 * {@link TimerInternals} and a {@link StepContext} that forward to the current key's state and
 * timers, so one {@code DoFnRunner} (and one {@code StatefulDoFnRunner} with its cleanup timer and
 * state cleaner) serves every key of a partition for the whole run — as Flink's {@code
 * DoFnOperator} does with its keyed state backend.
 *
 * <p>Threading: confined to the operator's task.
 */
final class CurrentKey {
  private KeyedStateStore.KeyState current;

  final StateInternals state =
      new StateInternals() {
        @Override
        public Object getKey() {
          return key().key();
        }

        @Override
        public <T extends State> T state(
            StateNamespace namespace, StateTag<T> address, StateContext<?> c) {
          return key().state().state(namespace, address, c);
        }
      };

  final TimerInternals timers =
      new TimerInternals() {
        @Override
        public void setTimer(
            StateNamespace namespace,
            String timerId,
            String timerFamilyId,
            Instant target,
            Instant outputTimestamp,
            TimeDomain timeDomain) {
          key().timers().setTimer(namespace, timerId, timerFamilyId, target, outputTimestamp, timeDomain);
        }

        @Override
        public void setTimer(TimerData timerData) {
          key().timers().setTimer(timerData);
        }

        @Override
        public void deleteTimer(
            StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain timeDomain) {
          key().timers().deleteTimer(namespace, timerId, timerFamilyId, timeDomain);
        }

        @Override
        public void deleteTimer(StateNamespace namespace, String timerId, String timerFamilyId) {
          key().timers().deleteTimer(namespace, timerId, timerFamilyId);
        }

        @Override
        public void deleteTimer(TimerData timerKey) {
          key().timers().deleteTimer(timerKey);
        }

        @Override
        public Instant currentProcessingTime() {
          return key().timers().currentProcessingTime();
        }

        @Override
        public Instant currentSynchronizedProcessingTime() {
          return key().timers().currentSynchronizedProcessingTime();
        }

        @Override
        public Instant currentInputWatermarkTime() {
          return key().timers().currentInputWatermarkTime();
        }

        @Override
        public Instant currentOutputWatermarkTime() {
          return key().timers().currentOutputWatermarkTime();
        }
      };

  /** A step context over the current key, for {@code DoFnRunner}s. */
  StepContext stepContext(BundleFinalizer finalizer) {
    return StepContexts.keyed(() -> state, () -> timers, finalizer);
  }

  void set(KeyedStateStore.KeyState keyState) {
    current = keyState;
  }

  KeyedStateStore.KeyState key() {
    if (current == null) {
      throw new IllegalStateException("No current key: state or timers used outside a key");
    }
    return current;
  }
}
