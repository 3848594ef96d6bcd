package io.beamline.sdk.internal.translation;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.beamline.sdk.UnsupportedTransformException;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.junit.Test;

public class PipelineTranslatorTest {

  private static Pipeline pipeline() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class); // translation only: nothing may run
    return Pipeline.create(options);
  }

  private static ExecutablePlan translate(Pipeline p) {
    PipelineOverrides.apply(p);
    return PipelineTranslator.translate(p);
  }

  private static Stage stageOf(ExecutablePlan plan, String stepPrefix) {
    Stage found = null;
    for (Stage stage : plan.stages()) {
      List<String> steps = new ArrayList<>();
      if (stage.source() != null) {
        steps.add(stage.source().stepName());
      }
      stage.operators().forEach(op -> steps.add(op.stepName()));
      for (String step : steps) {
        if (step.equals(stepPrefix) || step.startsWith(stepPrefix + "/")) {
          if (found != null && found != stage) {
            throw new AssertionError(stepPrefix + " is in two stages:\n" + plan.describe());
          }
          found = stage;
        }
      }
    }
    if (found == null) {
      throw new AssertionError("no step " + stepPrefix + " in\n" + plan.describe());
    }
    return found;
  }

  private static PCollection<KV<Long, Long>> keyed(Pipeline p) {
    return p.apply("Numbers", GenerateSequence.from(0).to(100))
        .apply("Evens", Filter.by(x -> x % 2 == 0))
        .apply(
            "Key",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(x -> KV.of(x % 3, x)));
  }

  @Test
  public void statelessStepsAreFusedIntoTheSourceStage() {
    Pipeline p = pipeline();
    keyed(p).apply("Group", GroupByKey.create()).apply("Sizes", MapElements.into(
        TypeDescriptors.integers()).via(kv -> kv.getValue().hashCode()));
    ExecutablePlan plan = translate(p);

    Stage source = stageOf(plan, "Numbers");
    assertSame(source, stageOf(plan, "Evens"));
    assertSame(source, stageOf(plan, "Key"));
    Stage group = stageOf(plan, "Group");
    assertTrue("GroupByKey starts a new stage", group != source);
    assertTrue(group.inputExchange().isKeyed());
    assertEquals("Group", group.root().stepName());
    assertSame("steps after the GroupByKey are fused into its stage", group, stageOf(plan, "Sizes"));
    assertTrue(group.upstream().contains(source));
  }

  @Test
  public void combinePerKeyIsLiftedForNonMergingWindows() {
    Pipeline p = pipeline();
    keyed(p).apply("Sum", Sum.longsPerKey());
    ExecutablePlan plan = translate(p);

    assertSame(stageOf(plan, "Numbers"), stageOf(plan, "Sum/Partial"));
    long mergeStages =
        plan.stages().stream()
            .filter(s -> s.root() != null && s.root().stepName().equals("Sum"))
            .filter(s -> s.inputExchange().isKeyed())
            .count();
    assertEquals("the final combine is the keyed root of its own stage", 1, mergeStages);
    assertFalse("a lifted Combine has no GroupByKey", plan.describe().contains("GroupByKey"));
  }

  @Test
  public void combinePerKeyIsNotLiftedForMergingWindows() {
    Pipeline p = pipeline();
    keyed(p)
        .apply(Window.into(Sessions.withGapDuration(Duration.millis(10))))
        .apply("Sum", Sum.longsPerKey());
    ExecutablePlan plan = translate(p);

    assertThat(plan.describe(), containsString("Sum/GroupByKey"));
    assertFalse(plan.describe().contains("Sum/Partial"));
  }

  /** A primitive that no runner knows. */
  static final class MysteryPrimitive extends PTransform<PBegin, PCollection<Long>> {
    @Override
    public PCollection<Long> expand(PBegin input) {
      return PCollection.createPrimitiveOutputInternal(
          input.getPipeline(),
          WindowingStrategy.globalDefault(),
          PCollection.IsBounded.BOUNDED,
          VarLongCoder.of());
    }
  }

  @Test
  public void unknownPrimitiveIsRejectedByName() {
    Pipeline p = pipeline();
    p.apply("Mystery", new MysteryPrimitive());
    UnsupportedTransformException e =
        assertThrows(UnsupportedTransformException.class, () -> translate(p));
    assertEquals("Mystery", e.getTransformName());
    assertThat(e.getMessage(), containsString(MysteryPrimitive.class.getName()));
  }
}
