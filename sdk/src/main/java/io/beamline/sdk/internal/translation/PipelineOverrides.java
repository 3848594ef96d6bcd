package io.beamline.sdk.internal.translation;

import com.google.common.collect.ImmutableList;
import io.beamline.sdk.UnsupportedTransformException;
import org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.util.construction.PTransformMatchers;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.util.construction.SplittableParDoNaiveBounded;

/**
 * The pipeline surgery a classic Java runner needs before translation, all of it Beam's own:
 * Read-based splittable DoFns back to primitive reads, splittable ParDo into its
 * pair-with-restriction / split / process-keyed expansion, and bounded process-keyed into plain
 * ParDos that run each restriction to completion (as Beam's Flink and Spark batch runners do).
 */
public final class PipelineOverrides {
  private PipelineOverrides() {}

  /**
   * Applies the overrides to {@code pipeline} in place.
   *
   * @throws UnsupportedTransformException if the pipeline has a splittable DoFn that is unbounded
   *     per element: that needs an epoch run
   */
  public static void apply(Pipeline pipeline) {
    apply(pipeline, false);
  }

  /**
   * Applies the overrides for a bounded run, or for an epoch run ({@code epochs}), where splittable
   * DoFns run through runners-core's {@code SplittableParDoViaKeyedWorkItems} (restrictions
   * checkpointed in state and resumed by timers, as on Beam's Direct and Flink streaming runners)
   * and may be unbounded per element.
   *
   * @throws UnsupportedTransformException if, in a bounded run, the pipeline has a splittable DoFn
   *     that is unbounded per element
   */
  public static void apply(Pipeline pipeline, boolean epochs) {
    rejectStreamingFeatures(pipeline, epochs);
    SplittableParDo.convertReadBasedSplittableDoFnsToPrimitiveReadsIfNecessary(pipeline);
    pipeline.replaceAll(
        ImmutableList.of(
            PTransformOverride.of(
                PTransformMatchers.splittableParDo(), new SplittableParDo.OverrideFactory<>()),
            PTransformOverride.of(
                PTransformMatchers.urnEqualTo(PTransformTranslation.SPLITTABLE_PROCESS_KEYED_URN),
                epochs
                    ? new SplittableParDoViaKeyedWorkItems.OverrideFactory<>()
                    : new SplittableParDoNaiveBounded.OverrideFactory<>())));
  }

  private static void rejectStreamingFeatures(Pipeline pipeline, boolean epochs) {
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            check(node);
            return CompositeBehavior.ENTER_TRANSFORM;
          }

          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            check(node);
          }

          private void check(TransformHierarchy.Node node) {
            if (node.getTransform() instanceof ParDo.MultiOutput<?, ?> parDo) {
              DoFnSignature signature = DoFnSignatures.signatureForDoFn(parDo.getFn());
              if (!epochs
                  && signature.processElement().isSplittable()
                  && signature.isBoundedPerElement() == PCollection.IsBounded.UNBOUNDED) {
                throw new UnsupportedTransformException(
                    node.getFullName(),
                    "its splittable DoFn "
                        + parDo.getFn().getClass().getName()
                        + " is unbounded per element (@UnboundedPerElement); that needs"
                        + " an epoch run: pass --streaming=true");
              }
            }
          }
        });
  }
}
