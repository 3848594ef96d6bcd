package io.beamline.sdk.internal.operators;

import static org.junit.Assert.assertEquals;

import java.util.List;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/** Flatten, Window.Assign and the view writer, each driven alone. */
public class SimpleOperatorsTest {

  @Test
  public void flattenPassesElementsThrough() throws Exception {
    for (boolean restore : new boolean[] {false, true}) {
      try (OperatorHarness h =
          OperatorHarness.of(
                  VarIntCoder.of(),
                  new PTransform<PCollection<Integer>, PCollection<Integer>>() {
                    @Override
                    public PCollection<Integer> expand(PCollection<Integer> input) {
                      return PCollectionList.of(input).apply(Flatten.pCollections());
                    }
                  })
              .restoreAfterEveryInput(restore)
              .build()) {
        h.element(1, new Instant(1)).element(2, new Instant(2));
        assertEquals(List.of(1, 2), h.takeValues());
      }
    }
  }

  @Test
  public void windowAssignPutsEachElementInItsWindows() throws Exception {
    try (OperatorHarness h =
        OperatorHarness.of(
                VarIntCoder.of(), Window.<Integer>into(FixedWindows.of(Duration.millis(10))))
            .build()) {
      h.element(1, new Instant(3)).element(2, new Instant(15));
      List<WindowedValue<?>> out = h.takeOutput();
      assertEquals(
          List.of(new IntervalWindow(new Instant(0), new Instant(10))),
          List.copyOf(out.get(0).getWindows()));
      assertEquals(
          List.of(new IntervalWindow(new Instant(10), new Instant(20))),
          List.copyOf(out.get(1).getWindows()));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  public void theViewWriterPublishesItsBundleWhenTheBundleEnds() throws Exception {
    try (OperatorHarness h =
        OperatorHarness.of(VarIntCoder.of(), View.<Integer>asList())
            .stage(name -> name.contains("CreatePCollectionView"))
            .build()) {
      PCollectionView<List<Integer>> view =
          (PCollectionView<List<Integer>>) h.producedViews().iterator().next();
      SideInputReader reader = h.sideInputs().readerFor(List.of(view));
      h.element(4, new Instant(0)).element(5, new Instant(0));
      assertEquals(List.of(), reader.get(view, GlobalWindow.INSTANCE));
      h.finishBundle();
      assertEquals(List.of(4, 5), reader.get(view, GlobalWindow.INSTANCE));
    }
  }
}
