package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.state.KeyedStateStore;
import io.beamline.sdk.internal.time.KeyedTimers;
import java.util.List;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.joda.time.Instant;

/** Fires the timers of every key of a keyed operator's partition. */
final class TimerFiring {
  private TimerFiring() {}

  /** Receives the fired timers of one key. */
  @FunctionalInterface
  interface KeyFiring {
    void fire(KeyedStateStore.KeyState key, List<TimerData> timers) throws Exception;
  }

  /**
   * Moves the partition of {@code store} to {@code watermark}, {@code processingTime} and {@code
   * synchronizedTime} (synchronized processing time, at most {@code processingTime}) and fires
   * the eligible timers of every key that has timers, key after key in first-seen order, with
   * {@code current} set to the key being fired. Timers see the output watermark the partition had
   * before this call; afterwards it is the new watermark held back by the keys' holds.
   *
   * @return how many timers fired
   */
  static int fireAll(
      KeyedStateStore store,
      CurrentKey current,
      Instant watermark,
      Instant processingTime,
      Instant synchronizedTime,
      boolean oneAtATime,
      KeyFiring firing)
      throws Exception {
    store.advancedTo(watermark);
    int count = 0;
    // while no key has a timer due none is visited; a key's clocks catch up when it is next used
    if (store.timersMayFire(watermark, processingTime, synchronizedTime)) {
      store.resetTimerBounds();
      for (KeyedStateStore.KeyState keyState : store.all()) {
        if (keyState.timers().mayFire(watermark, processingTime, synchronizedTime)) {
          current.set(keyState);
          KeyedTimers.setOutputWatermark(keyState.timers(), store.outputWatermark());
          int fired =
              KeyedTimers.fire(
                  keyState.timers(),
                  watermark,
                  processingTime,
                  synchronizedTime,
                  oneAtATime,
                  t -> firing.fire(keyState, t));
          if (fired > 0) {
            store.markUsed(keyState); // its timers and state changed: the next delta writes it
          }
          count += fired;
        }
        store.boundTimers(keyState);
      }
    }
    Instant hold = store.earliestHold();
    store.outputReached(hold.isBefore(watermark) ? hold : watermark);
    return count;
  }

}
