package io.beamline.sdk.internal.execution;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryBundleFinalizer;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.util.WindowedValueMultiReceiver;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * What an operator of one task sees of the execution: its partition, the options, the receivers of
 * the PCollections it produces, side inputs, metrics and the bundle finalizer.
 *
 * <p>Threading: confined to the task's thread, except {@link #sideInputStore()} and exchanges,
 * which are shared and synchronise internally.
 */
public final class TaskContext {
  private final Stage stage;
  private final int partition;
  private final int parallelism;
  private final PipelineOptions options;
  private final Map<ExchangeSpec, Exchange> exchanges;
  private final SideInputStore sideInputStore;
  private final EpochContext epoch;
  private final java.util.concurrent.atomic.AtomicLong activity;
  private final MetricsContainerStepMap metrics = new MetricsContainerStepMap();
  private final InMemoryBundleFinalizer bundleFinalizer = new InMemoryBundleFinalizer();
  private final Map<OperatorSpec, Operator> operators = new IdentityHashMap<>();
  private final Map<PCollection<?>, Operator.Receiver> receivers = new IdentityHashMap<>();
  private final List<ExchangeWriter> exchangeWriters = new ArrayList<>();
  private SideInputReader sideInputReader;

  TaskContext(
      Stage stage,
      int partition,
      int parallelism,
      PipelineOptions options,
      Map<ExchangeSpec, Exchange> exchanges,
      SideInputStore sideInputStore,
      EpochContext epoch,
      java.util.concurrent.atomic.AtomicLong activity) {
    this.stage = stage;
    this.epoch = epoch;
    this.activity = activity;
    this.partition = partition;
    this.parallelism = parallelism;
    this.options = options;
    this.exchanges = exchanges;
    this.sideInputStore = sideInputStore;
  }

  void register(OperatorSpec spec, Operator operator) {
    operators.put(spec, operator);
  }

  /** Index of this task's partition, in {@code [0, parallelism)}. */
  public int partition() {
    return partition;
  }

  public int parallelism() {
    return parallelism;
  }

  public PipelineOptions options() {
    return options;
  }

  /** Watermark and clock of this task's stage in the current epoch. */
  public EpochContext epoch() {
    return epoch;
  }

  /** Records work that moves a run forward (timers fired), so a stuck run can be told apart. */
  void recordActivity(long units) {
    activity.addAndGet(units);
  }

  /** The keyed state of this task's partition: kept across epochs when streaming, else fresh. */
  KeyedStateStore keyedState() {
    return epoch.keyedState() != null ? epoch.keyedState() : new KeyedStateStore();
  }

  /**
   * The receiver of {@code pc}, which must be produced in this task's stage: it fans each element
   * out to the consuming operators of the stage and to the exchanges fed by {@code pc}. An
   * unconsumed PCollection gets a receiver that drops elements.
   */
  public Operator.Receiver receiver(PCollection<?> pc) {
    Operator.Receiver receiver = receivers.get(pc);
    if (receiver == null) {
      receiver = buildReceiver(pc);
      receivers.put(pc, receiver);
    }
    return receiver;
  }

  private Operator.Receiver buildReceiver(PCollection<?> pc) {
    List<Operator.Receiver> targets = new ArrayList<>();
    for (OperatorSpec spec : stage.consumersOf(pc)) {
      Operator op = operators.get(spec);
      targets.add(value -> invoke(op, value));
    }
    for (ExchangeSpec spec : stage.exchangesFedBy(pc)) {
      ExchangeWriter writer = new ExchangeWriter(spec, exchanges.get(spec), partition);
      exchangeWriters.add(writer);
      targets.add(writer::write);
    }
    if (targets.isEmpty()) {
      return value -> {};
    }
    if (targets.size() == 1) {
      return targets.get(0);
    }
    Operator.Receiver[] all = targets.toArray(new Operator.Receiver[0]);
    return value -> {
      for (Operator.Receiver target : all) {
        target.accept(value);
      }
    };
  }

  /**
   * A runners-core output manager for a step with several outputs: each tag goes to the receiver
   * of its PCollection; tags without a PCollection in {@code outputs} are dropped.
   */
  public WindowedValueMultiReceiver outputManager(Map<TupleTag<?>, PCollection<?>> outputs) {
    Map<TupleTag<?>, Operator.Receiver> byTag = new HashMap<>();
    outputs.forEach((tag, pc) -> byTag.put(tag, receiver(pc)));
    return new WindowedValueMultiReceiver() {
      @Override
      public <T> void output(TupleTag<T> tag, WindowedValue<T> value) {
        Operator.Receiver receiver = byTag.get(tag);
        if (receiver != null) {
          receiver.accept(value);
        }
      }
    };
  }

  private static void invoke(Operator op, WindowedValue<?> value) {
    try {
      op.process(value);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** The writer into {@code spec} for this task (used by steps that write to a shuffle). */
  public ExchangeWriter exchangeWriter(ExchangeSpec spec) {
    ExchangeWriter writer = new ExchangeWriter(spec, exchanges.get(spec), partition);
    exchangeWriters.add(writer);
    return writer;
  }

  /** Appends everything buffered by this task's exchange writers to the exchanges. */
  void flushExchanges() {
    for (ExchangeWriter writer : exchangeWriters) {
      writer.flush();
    }
  }

  public SideInputStore sideInputStore() {
    return sideInputStore;
  }

  /**
   * Reader over {@code views}, which must be side inputs of this task's stage (their producers ran
   * before it, so they are complete). One reader per task, shared by its operators.
   */
  public SideInputReader sideInputReader(Collection<PCollectionView<?>> views) {
    if (!stage.sideInputs().containsAll(views)) {
      throw new IllegalStateException(
          String.format("%s reads side inputs %s that it does not depend on", stage, views));
    }
    if (sideInputReader == null) {
      sideInputReader = sideInputStore.readerFor(stage.sideInputs());
    }
    return sideInputReader;
  }

  /** This task's metrics container for a step. */
  public MetricsContainerImpl metricsContainer(String stepName) {
    return metrics.getContainer(stepName);
  }

  /** Makes {@code stepName}'s container the current one for Beam's {@code Metrics} calls. */
  public Closeable scopedMetrics(String stepName) {
    return MetricsEnvironment.scopedMetricsContainer(metrics.getContainer(stepName));
  }

  MetricsContainerStepMap metrics() {
    return metrics;
  }

  public InMemoryBundleFinalizer bundleFinalizer() {
    return bundleFinalizer;
  }
}
