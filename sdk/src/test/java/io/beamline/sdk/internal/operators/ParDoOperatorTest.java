package io.beamline.sdk.internal.operators;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.IllegalMutationException;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;
import org.junit.Test;

/** A stateless ParDo driven alone: outputs, held-back elements, and Beam's model enforced. */
public class ParDoOperatorTest implements java.io.Serializable {

  @Test
  public void everyOutputReachesItsPCollection() throws Exception {
    TupleTag<Integer> main = new TupleTag<Integer>("main") {};
    TupleTag<String> odd = new TupleTag<String>("odd") {};
    for (boolean restore : new boolean[] {false, true}) {
      try (OperatorHarness h =
          OperatorHarness.of(
                  VarIntCoder.of(),
                  ParDo.of(
                          new DoFn<Integer, Integer>() {
                            @ProcessElement
                            public void process(@Element Integer x, MultiOutputReceiver out) {
                              out.get(main).output(x * 2);
                              if (x % 2 == 1) {
                                out.get(odd).output("odd " + x);
                              }
                            }
                          })
                      .withOutputTags(main, TupleTagList.of(odd)))
              .restoreAfterEveryInput(restore)
              .build()) {
        h.element(1, new Instant(0)).element(2, new Instant(1)).finishBundle();
        Map<String, List<org.apache.beam.sdk.values.WindowedValue<?>>> all = h.takeAllOutputs();
        List<Object> mains = new ArrayList<>();
        List<Object> odds = new ArrayList<>();
        all.forEach(
            (name, values) ->
                values.forEach(v -> (name.startsWith("Capture0") ? mains : odds).add(v.getValue())));
        assertEquals(List.of(2, 4), mains);
        assertEquals(List.of("odd 1"), odds);
      }
    }
  }

  @Test
  public void anElementWhoseSideInputIsNotReadyIsHeldBackAndHoldsTheWatermark() throws Exception {
    PCollectionView<?>[] view = new PCollectionView<?>[1];
    for (boolean restore : new boolean[] {false, true}) {
      try (OperatorHarness h =
          OperatorHarness.of(
                  VarIntCoder.of(),
                  pipeline -> {
                    PCollectionView<List<Integer>> factor =
                        pipeline.apply("Factor", Create.of(10)).apply(View.asList());
                    view[0] = factor;
                    return ParDo.of(
                            new DoFn<Integer, Integer>() {
                              @ProcessElement
                              public void process(
                                  @Element Integer x, ProcessContext c, OutputReceiver<Integer> out) {
                                out.output(x * c.sideInput(factor).get(0));
                              }
                            })
                        .withSideInputs(factor);
                  })
              .restoreAfterEveryInput(restore)
              .build()) {
        h.element(3, new Instant(7)).watermark(new Instant(50));
        assertEquals(List.of(), h.takeValues());
        assertEquals(1, h.pushedBack().size());
        assertEquals(new Instant(7), h.outputWatermark());
        h.sideInputs().append(view[0], 0, List.of(WindowedValues.valueInGlobalWindow(10)));
        h.finishBundle().watermark(new Instant(60));
        assertEquals(List.of(30), h.takeValues());
        assertEquals(new Instant(60), h.outputWatermark());
      }
    }
  }

  @Test
  public void aDoFnThatMutatesItsInputFailsNamingTheStep() throws Exception {
    try (OperatorHarness h =
        OperatorHarness.of(
                ListCoder.of(VarIntCoder.of()),
                ParDo.of(
                    new DoFn<List<Integer>, Integer>() {
                      @ProcessElement
                      public void process(@Element List<Integer> xs, OutputReceiver<Integer> out) {
                        xs.add(99);
                        out.output(xs.size());
                      }
                    }))
            .build()) {
      IllegalMutationException e =
          assertThrows(
              IllegalMutationException.class,
              () ->
                  h.element(
                      WindowedValues.of(
                          new ArrayList<>(List.of(1)),
                          new Instant(0),
                          GlobalWindow.INSTANCE,
                          PaneInfo.NO_FIRING)));
      assertThat(e.getMessage(), containsString("UnderTest"));
      assertThat(e.getMessage(), containsString("mutated its input"));
    }
  }

  @Test
  public void aDoFnThatMutatesWhatItOutputFailsAtTheEndOfTheBundle() throws Exception {
    try (OperatorHarness h =
        OperatorHarness.of(
                VarIntCoder.of(),
                ParDo.of(
                    new DoFn<Integer, List<Integer>>() {
                      @ProcessElement
                      public void process(@Element Integer x, OutputReceiver<List<Integer>> out) {
                        List<Integer> list = new ArrayList<>(List.of(x));
                        out.output(list);
                        list.add(x); // after output: illegal in Beam's model
                      }
                    }))
            .build()) {
      h.element(1, new Instant(0));
      IllegalMutationException e = assertThrows(IllegalMutationException.class, h::finishBundle);
      assertThat(e.getMessage(), containsString("UnderTest"));
      assertThat(e.getMessage(), containsString("after it was output"));
    }
  }

  /** Encodes fine and fails to decode: a broken coder. */
  static final class BrokenCoder extends CustomCoder<String> {
    @Override
    public void encode(String value, java.io.OutputStream out) throws java.io.IOException {
      StringUtf8Coder.of().encode(value, out);
    }

    @Override
    public String decode(java.io.InputStream in) throws CoderException {
      throw new CoderException("this coder cannot decode");
    }
  }

  @Test
  public void anOutputItsCoderCannotDecodeFailsNamingTheStep() throws Exception {
    try (OperatorHarness h =
        OperatorHarness.of(
                VarLongCoder.of(),
                new PTransform<PCollection<Long>, PCollection<String>>() {
                  @Override
                  public PCollection<String> expand(PCollection<Long> input) {
                    return input
                        .apply(
                            "Format",
                            ParDo.of(
                                new DoFn<Long, String>() {
                                  @ProcessElement
                                  public void process(
                                      @Element Long x, OutputReceiver<String> out) {
                                    out.output("x" + x);
                                  }
                                }))
                        .setCoder(new BrokenCoder());
                  }
                })
            .build()) {
      // thrown where the DoFn outputs, so it reaches the engine wrapped as the DoFn's failure
      Exception e = assertThrows(Exception.class, () -> h.element(1L, new Instant(0)));
      String trace = com.google.common.base.Throwables.getStackTraceAsString(e);
      assertThat(trace, containsString("Step 'UnderTest/Format"));
      assertThat(trace, containsString("cannot be encoded and decoded"));
    }
  }
}
