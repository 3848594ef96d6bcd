package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.plan.OperatorSpec;
import io.beamline.sdk.internal.sideinput.SideInputStore;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;

/** The small operators: Flatten, Window.Assign and the writer of a side-input view. */
final class SimpleOperators {
  private SimpleOperators() {}

  /** An operator with one output PCollection, whose receiver it looks up when opened. */
  private abstract static class OneOutput implements Operator {
    private final TaskContext context;
    private final PCollection<?> output;
    protected Receiver out;

    OneOutput(TaskContext context, PCollection<?> output) {
      this.context = context;
      this.output = output;
    }

    @Override
    public void open() {
      out = context.receiver(output);
    }
  }

  /** Passes elements through unchanged: Flatten, at the receiving end of its forward exchange. */
  static Operator flatten(OperatorSpec.Flatten spec, TaskContext context) {
    {
      return new OneOutput(context, spec.output()) {
        @Override
        public void processElement(Object element) {
          out.accept((WindowedValue<?>) element);
        }
      };
    }
  }

  /** Window.Assign: assigns each element to the windows its {@link WindowFn} returns. */
  static Operator assignWindows(OperatorSpec.AssignWindows spec, TaskContext context) {
    String stepName = spec.stepName();
    WindowFn<Object, BoundedWindow> windowFn = spec.windowFn();
    {
      return new OneOutput(context, spec.output()) {
        @Override
        @SuppressWarnings("unchecked")
        public void processElement(Object element) throws Exception {
          WindowedValue<Object> value = (WindowedValue<Object>) element;
          try (var scope = context.scopedMetrics(stepName)) {
            for (WindowedValue<Object> single : value.explodeWindows()) {
              Collection<BoundedWindow> windows = windowFn.assignWindows(assignContext(single));
              out.accept(
                  WindowedValues.of(
                      single.getValue(), single.getTimestamp(), windows, single.getPaneInfo()));
            }
          }
        }

        private WindowFn<Object, BoundedWindow>.AssignContext assignContext(
            WindowedValue<Object> value) {
          return windowFn.new AssignContext() {
            @Override
            public Object element() {
              return value.getValue();
            }

            @Override
            public Instant timestamp() {
              return value.getTimestamp();
            }

            @Override
            public BoundedWindow window() {
              return value.getWindows().iterator().next();
            }
          };
        }
      };
    }
  }

  /**
   * CreatePCollectionView: records the elements of the view's PCollection in the {@link
   * SideInputStore} when the task finishes, and passes them on unchanged.
   */
  static Operator viewWriter(OperatorSpec.ViewWriter spec, TaskContext context) {
    PCollectionView<?> view = spec.view();
    {
      return new OneOutput(context, spec.output()) {
        private final List<WindowedValue<?>> written = new ArrayList<>();

        @Override
        public void processElement(Object element) {
          written.add((WindowedValue<?>) element);
          out.accept((WindowedValue<?>) element);
        }

        @Override
        public void finishBundle() {
          context.sideInputStore().append(view, context.partition(), written);
          written.clear();
        }
      };
    }
  }
}
