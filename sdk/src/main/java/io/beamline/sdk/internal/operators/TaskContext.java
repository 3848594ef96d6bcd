package io.beamline.sdk.internal.operators;

import io.beamline.sdk.internal.exchange.ExchangeWriter;
import io.beamline.sdk.internal.plan.ExchangeSpec;
import io.beamline.sdk.internal.plan.OperatorSpec;
import io.beamline.sdk.internal.plan.Stage;
import io.beamline.sdk.internal.sideinput.SideInputStore;
import io.beamline.sdk.internal.state.KeyedStateStore;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.runners.core.InMemoryBundleFinalizer;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.WindowedValueMultiReceiver;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * What the operators of one task (one partition of one stage) see of the execution: partition,
 * options, the receivers of the PCollections they produce, exchange writers, side inputs, the
 * partition's keyed state and held-back elements, the processing-time clock, metrics and the
 * bundle finalizer. Lives as long as the task's operators: the whole run.
 *
 * <p>Threading: used by the task's thread (one at a time, see {@link Operator}); {@link
 * #sideInputStore()} and exchanges are shared and synchronise internally.
 */
public final class TaskContext {

  /**
   * What every task of a run shares.
   *
   * @param options the run's options
   * @param parallelism tasks per stage and partitions per exchange
   * @param bounded true for the single epoch of a bounded run: all input is present, so steps may
   *     use shortcuts that assume every window fires exactly once (combiner lifting, direct
   *     grouping)
   * @param exchangeWriters makes a task's writers into the exchanges its stage feeds
   * @param sideInputs materialised side inputs
   * @param activity counter of work that moves a run forward (timers fired)
   * @param enforceModel check encodability and immutability of elements ({@link ModelEnforcement})
   * @param sourceProgress where tasks report reading bounded sources
   */
  public record Shared(
      PipelineOptions options,
      int parallelism,
      boolean bounded,
      ExchangeWriter.Factory exchangeWriters,
      SideInputStore sideInputs,
      AtomicLong activity,
      boolean enforceModel,
      SourceProgress sourceProgress) {

    /** Shares everything but progress reports. */
    public Shared(
        PipelineOptions options,
        int parallelism,
        boolean bounded,
        ExchangeWriter.Factory exchangeWriters,
        SideInputStore sideInputs,
        AtomicLong activity,
        boolean enforceModel) {
      this(
          options,
          parallelism,
          bounded,
          exchangeWriters,
          sideInputs,
          activity,
          enforceModel,
          SourceProgress.NONE);
    }
  }

  private final Shared shared;
  private final Stage stage;
  private final int partition;
  private @Nullable KeyedStateStore keyedState;
  private final @Nullable List<WindowedValue<?>> pushedBack;
  private final @Nullable ModelEnforcement enforcement;
  private final InMemoryBundleFinalizer bundleFinalizer = new InMemoryBundleFinalizer();
  private final Map<OperatorSpec, Operator> operators = new IdentityHashMap<>();
  private final Map<PCollection<?>, Operator.Receiver> receivers = new IdentityHashMap<>();
  private final List<ExchangeWriter> exchangeWriters = new ArrayList<>();
  private MetricsContainerStepMap metrics = new MetricsContainerStepMap();
  private Instant processingTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant synchronizedProcessingTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private SideInputReader sideInputReader;

  /**
   * @param keyedState the keyed state of this partition (kept across epochs by the engine), or
   *     null for a fresh one (a bounded run)
   * @param pushedBack elements of this partition whose side inputs were not ready, kept by the
   *     engine and retried; null where side inputs are always ready (a bounded run)
   */
  public TaskContext(
      Shared shared,
      Stage stage,
      int partition,
      @Nullable KeyedStateStore keyedState,
      @Nullable List<WindowedValue<?>> pushedBack) {
    this.shared = shared;
    this.stage = stage;
    this.partition = partition;
    this.keyedState = keyedState;
    this.pushedBack = pushedBack;
    this.enforcement = shared.enforceModel() ? new ModelEnforcement() : null;
  }

  void register(OperatorSpec spec, Operator operator) {
    operators.put(spec, operator);
  }

  public Stage stage() {
    return stage;
  }

  /** Index of this task's partition, in {@code [0, parallelism)}. */
  public int partition() {
    return partition;
  }

  public int parallelism() {
    return shared.parallelism();
  }

  public PipelineOptions options() {
    return shared.options();
  }

  /** True in the single epoch of a bounded run (see {@link Shared#bounded()}). */
  public boolean bounded() {
    return shared.bounded();
  }

  /** The processing time elements are processed at now; timers fire by {@link Operator} calls. */
  public Instant processingTime() {
    return processingTime;
  }

  /**
   * The synchronized processing time elements are processed at now: {@link #processingTime()}
   * unless the engine holds it back ({@link #setProcessingTimes}).
   */
  public Instant synchronizedProcessingTime() {
    return synchronizedProcessingTime;
  }

  /** Sets the processing time (both kinds) the next elements are processed at; for engines. */
  public void setProcessingTime(Instant now) {
    this.processingTime = now;
    this.synchronizedProcessingTime = now;
  }

  /**
   * Sets the processing time the next elements are processed at and, held back by what upstream
   * tasks have still to deliver, the synchronized processing time; for engines that run stages
   * concurrently.
   */
  public void setProcessingTimes(Instant now, Instant synchronizedNow) {
    this.processingTime = now;
    this.synchronizedProcessingTime = synchronizedNow;
  }

  /** Where this task reports reading a bounded source. */
  SourceProgress sourceProgress() {
    return shared.sourceProgress();
  }

  /** Records work that moves a run forward (timers fired), so a stuck run can be told apart. */
  void recordActivity(long units) {
    shared.activity().addAndGet(units);
  }

  /** The keyed state of this task's partition. */
  KeyedStateStore keyedState() {
    if (keyedState == null) {
      keyedState = new KeyedStateStore();
    }
    return keyedState;
  }

  /** Held-back elements of this partition, or null where side inputs are always ready. */
  @Nullable List<WindowedValue<?>> pushedBack() {
    return pushedBack;
  }

  /** Model checks, or null when they are off. */
  @Nullable ModelEnforcement enforcement() {
    return enforcement;
  }

  /**
   * The receiver of {@code pc}, which must be produced in this task's stage: it fans each element
   * out to the consuming operators of the stage and to the exchanges fed by {@code pc}, rows with
   * the PCollection's schema ({@link SchemaRows}). An unconsumed PCollection gets a receiver that
   * drops elements.
   */
  public Operator.Receiver receiver(PCollection<?> pc) {
    Operator.Receiver receiver = receivers.get(pc);
    if (receiver == null) {
      receiver = SchemaRows.normalizing(pc, buildReceiver(pc));
      if (enforcement != null) {
        receiver = enforcement.checking(pc, stage.producerOf(pc), receiver);
      }
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
      targets.add(newExchangeWriter(spec, stage.producerOf(pc))::write);
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
      op.processElement(value);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** The writer into {@code spec} for steps that write to a shuffle themselves. */
  public ExchangeWriter exchangeWriter(ExchangeSpec spec, String producer) {
    return newExchangeWriter(spec, producer);
  }

  private ExchangeWriter newExchangeWriter(ExchangeSpec spec, String producer) {
    ExchangeWriter writer = shared.exchangeWriters().create(spec, producer, partition);
    exchangeWriters.add(writer);
    return writer;
  }

  /** Hands over everything this task's exchange writers hold. */
  void flushExchanges() {
    for (ExchangeWriter writer : exchangeWriters) {
      writer.flush();
    }
  }

  public SideInputStore sideInputStore() {
    return shared.sideInputs();
  }

  /**
   * Reader over {@code views}, which must be side inputs of this task's stage. One reader per task,
   * shared by its operators; it follows the views as their producers write them.
   */
  public SideInputReader sideInputReader(Collection<PCollectionView<?>> views) {
    if (!stage.sideInputs().containsAll(views)) {
      throw new IllegalStateException(
          String.format("%s reads side inputs %s that it does not depend on", stage, views));
    }
    if (sideInputReader == null) {
      sideInputReader = shared.sideInputs().readerFor(stage.sideInputs());
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

  /** The metrics reported since the last call, and a fresh container for what follows. */
  public MetricsContainerStepMap takeMetrics() {
    MetricsContainerStepMap taken = metrics;
    metrics = new MetricsContainerStepMap();
    return taken;
  }

  public InMemoryBundleFinalizer bundleFinalizer() {
    return bundleFinalizer;
  }
}
