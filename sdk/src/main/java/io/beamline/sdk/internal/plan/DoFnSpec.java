package io.beamline.sdk.internal.plan;

import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * Everything needed to run one ParDo application, taken from the pipeline at translation time.
 *
 * <p>The DoFn is kept serialised: every task deserialises its own instance, as a distributed runner
 * would, so DoFn instances are never shared between threads and {@code @Setup}/{@code @Teardown}
 * are called per instance.
 */
public record DoFnSpec(
    String stepName,
    byte[] serializedFn,
    PCollection<?> input,
    Coder<?> inputCoder,
    WindowingStrategy<?, ?> windowingStrategy,
    TupleTag<?> mainOutputTag,
    List<TupleTag<?>> additionalOutputTags,
    Map<TupleTag<?>, PCollection<?>> outputs,
    Map<TupleTag<?>, Coder<?>> outputCoders,
    List<PCollectionView<?>> sideInputs,
    Map<String, PCollectionView<?>> sideInputMapping,
    DoFnSchemaInformation schemaInformation) {

  /** A fresh DoFn instance for one task. */
  @SuppressWarnings("unchecked")
  public DoFn<Object, Object> newFn() {
    return (DoFn<Object, Object>)
        SerializableUtils.deserializeFromByteArray(serializedFn, stepName);
  }
}
