package io.beamline.sdk.internal.execution;

import java.util.HashMap;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * runners-core's in-memory state and timers, extended to report the watermark holds they contain:
 * the {@link WatermarkHoldState}s written by {@code ReduceFnRunner}, and the output timestamps of
 * pending timers. A keyed stage's output watermark may not pass the earliest hold of any key, or
 * downstream would see the held elements as late.
 */
final class HoldTracking {
  private HoldTracking() {}

  /** {@link InMemoryStateInternals} that can report its earliest watermark hold. */
  static final class StateInternals extends InMemoryStateInternals<Object> {
    StateInternals(Object key) {
      super(key);
    }

    /** The earliest watermark hold in any namespace, or +∞ if none. */
    Instant earliestHold() {
      Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
      for (State state : inMemoryState.values()) {
        if (state instanceof WatermarkHoldState hold) {
          Instant held = hold.read();
          if (held != null && held.isBefore(earliest)) {
            earliest = held;
          }
        }
      }
      return earliest;
    }
  }

  /** {@link InMemoryTimerInternals} that can report the earliest output timestamp it holds. */
  static final class TimerInternals extends InMemoryTimerInternals {
    private final Map<String, TimerData> pending = new HashMap<>();

    private static String id(StateNamespace namespace, String timerId, String timerFamilyId) {
      return namespace.stringKey() + '/' + timerId + '+' + timerFamilyId;
    }

    private static String id(TimerData timer) {
      return id(timer.getNamespace(), timer.getTimerId(), timer.getTimerFamilyId());
    }

    @Override
    public void setTimer(TimerData timerData) {
      super.setTimer(timerData);
      pending.put(id(timerData), timerData);
    }

    @Override
    public void deleteTimer(
        StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain timeDomain) {
      super.deleteTimer(namespace, timerId, timerFamilyId, timeDomain);
      pending.remove(id(namespace, timerId, timerFamilyId));
    }

    @Override
    public void deleteTimer(StateNamespace namespace, String timerId, String timerFamilyId) {
      super.deleteTimer(namespace, timerId, timerFamilyId);
      pending.remove(id(namespace, timerId, timerFamilyId));
    }

    @Override
    public void deleteTimer(TimerData timer) {
      super.deleteTimer(timer);
      pending.remove(id(timer));
    }

    @Override
    public TimerData removeNextEventTimer() {
      return fired(super.removeNextEventTimer());
    }

    @Override
    public TimerData removeNextProcessingTimer() {
      return fired(super.removeNextProcessingTimer());
    }

    @Override
    public TimerData removeNextSynchronizedProcessingTimer() {
      return fired(super.removeNextSynchronizedProcessingTimer());
    }

    private TimerData fired(TimerData timer) {
      if (timer != null) {
        pending.remove(id(timer));
      }
      return timer;
    }

    /** The earliest output timestamp of a pending timer, or +∞ if none. */
    Instant earliestHold() {
      Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
      for (TimerData timer : pending.values()) {
        if (timer.getOutputTimestamp().isBefore(earliest)) {
          earliest = timer.getOutputTimestamp();
        }
      }
      return earliest;
    }
  }
}
