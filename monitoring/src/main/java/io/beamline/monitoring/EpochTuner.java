package io.beamline.monitoring;

import io.beamline.sdk.EpochProgress;

/**
 * Chooses the hybrid trigger's settings from the epochs' progress. The epoch loop calls {@link
 * #current()} when it plans an epoch and {@link #next} once after each epoch's report.
 *
 * <p>Threading: both methods are called by the runner's driver thread only.
 */
public interface EpochTuner {

  /** The settings for the next epoch. */
  EpochTuning current();

  /**
   * Takes the report of the epoch that just ended and returns the settings for the next one (also
   * returned by {@link #current()} from now on).
   */
  EpochTuning next(EpochProgress progress);

  /** A tuner that never changes {@code tuning}. */
  static EpochTuner fixed(EpochTuning tuning) {
    return new EpochTuner() {
      @Override
      public EpochTuning current() {
        return tuning;
      }

      @Override
      public EpochTuning next(EpochProgress progress) {
        return tuning;
      }
    };
  }
}
