package io.beamline.runners.realtime;

import io.beamline.sdk.BeamlinePipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of {@link RealtimeRunner}. Besides Beam's standard options ({@code --streaming}, {@code
 * --jobName}, …) and those every Beamline runner shares ({@link BeamlinePipelineOptions}: {@code
 * --parallelism}, {@code --stateBackend}, {@code --enforceModel}, …) it takes:
 *
 * <ul>
 *   <li>{@code --maxBundleSize}: elements after which a task ends its bundle; default 1,000, as
 *       FlinkPipelineOptions' {@code maxBundleSize}.
 *   <li>{@code --maxBundleTimeMillis}: milliseconds after which a task ends its bundle; default
 *       1,000, as FlinkPipelineOptions' {@code maxBundleTimeMills}.
 *   <li>{@code --channelCapacity}: items each queue between two tasks holds before the producer
 *       waits (backpressure); default 1,024.
 * </ul>
 *
 * <p>Unlike Flink, a task also ends its bundle as soon as it finds no input waiting, so at low rates
 * a record is not held back waiting for a bundle to fill: the bundle limits matter only under load.
 */
public interface RealtimePipelineOptions extends BeamlinePipelineOptions {

  @Description(
      "Elements after which a task ends its bundle (a bundle also ends when no input is waiting)."
          + " Default 1000, as Flink's maxBundleSize.")
  @Default.Long(1000)
  Long getMaxBundleSize();

  void setMaxBundleSize(Long value);

  @Description(
      "Milliseconds after which a task ends its bundle. Default 1000, as Flink's"
          + " maxBundleTimeMills.")
  @Default.Long(1000)
  Long getMaxBundleTimeMillis();

  void setMaxBundleTimeMillis(Long value);

  @Description("Items each queue between two tasks holds before its producer waits. Default 1024.")
  @Default.Integer(1024)
  Integer getChannelCapacity();

  void setChannelCapacity(Integer value);
}
