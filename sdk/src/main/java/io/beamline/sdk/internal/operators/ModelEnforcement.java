package io.beamline.sdk.internal.operators;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.IllegalMutationException;
import org.apache.beam.sdk.util.MutationDetector;
import org.apache.beam.sdk.util.MutationDetectors;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Checks that a task keeps Beam's model, as Beam's DirectRunner does in tests ({@code
 * ImmutabilityCheckingBundleFactory}, {@code ImmutabilityEnforcementFactory}, encodability):
 *
 * <ul>
 *   <li>every element a step outputs is encodable and decodable with its PCollection's coder;
 *   <li>no step mutates an element after outputting it (checked when the bundle ends);
 *   <li>no ParDo mutates its input element (checked after it processed the element).
 * </ul>
 *
 * Each check fails the run with an {@link IllegalStateException} or Beam's {@link
 * IllegalMutationException} naming the step. The checks encode every element (twice), so they are
 * on in {@code TestMicroBatchRunner} and off in production ({@code --enforceModel}).
 *
 * <p>Threading: confined to one task.
 */
public final class ModelEnforcement {
  private record Output(String producer, MutationDetector detector) {}

  private final List<Output> outputs = new ArrayList<>();

  /** A receiver that checks each element of {@code pc} (output by {@code producer}) first. */
  @SuppressWarnings("unchecked")
  Operator.Receiver checking(PCollection<?> pc, String producer, Operator.Receiver downstream) {
    Coder<Object> coder = (Coder<Object>) pc.getCoder();
    return element -> {
      outputs.add(new Output(producer, detect(element.getValue(), coder, producer, "output")));
      downstream.accept(element);
    };
  }

  /**
   * Runs {@code body}, which processes {@code input} in {@code step}, and checks that it did not
   * modify the element.
   */
  @SuppressWarnings("unchecked")
  public void checkInputUnmodified(
      String step, WindowedValue<?> input, Coder<?> coder, ThrowingRunnable body)
      throws Exception {
    MutationDetector detector =
        detect(input.getValue(), (Coder<Object>) coder, step, "input");
    body.run();
    try {
      detector.verifyUnmodified();
    } catch (IllegalMutationException e) {
      throw new IllegalMutationException(
          String.format(
              "PTransform %s mutated its input element %s (now %s). Input values must not be"
                  + " mutated in any way.",
              step, e.getSavedValue(), e.getNewValue()),
          e.getSavedValue(),
          e.getNewValue());
    }
  }

  /** At the end of a bundle: no element output in it was modified since. */
  void verifyOutputsUnmodified() {
    try {
      for (Output output : outputs) {
        try {
          output.detector().verifyUnmodified();
        } catch (IllegalMutationException e) {
          throw new IllegalMutationException(
              String.format(
                  "PTransform %s mutated value %s after it was output (new value was %s). Values"
                      + " must not be mutated in any way after being output.",
                  output.producer(), e.getSavedValue(), e.getNewValue()),
              e.getSavedValue(),
              e.getNewValue());
        }
      }
    } finally {
      outputs.clear();
    }
  }

  private static MutationDetector detect(
      Object value, Coder<Object> coder, String step, String what) {
    try {
      return MutationDetectors.forValueWithCoder(value, coder);
    } catch (Exception e) {
      throw new IllegalStateException(
          String.format(
              "Step '%s': its %s element %s cannot be encoded and decoded with its coder %s: %s",
              step, what, value, coder, e),
          e);
    }
  }

  /** A body that may throw. */
  @FunctionalInterface
  public interface ThrowingRunnable {
    void run() throws Exception;
  }
}
