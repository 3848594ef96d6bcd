package io.beamline.sdk.internal.plan;

import com.google.common.collect.ArrayListMultimap;
import com.google.common.collect.ListMultimap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.List;
import java.util.Set;
import javax.annotation.Nullable;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * A fused stage: a root that produces elements (a {@link SourceSpec}, or an {@link ExchangeSpec}
 * feeding a root {@link OperatorSpec}) and every step reachable from it without crossing a shuffle.
 * Inside a stage, elements are passed between operators as objects, never encoded.
 *
 * <p>Built by the translator (single thread), then read-only.
 */
public final class Stage {
  private final int id;
  private final String name;
  @Nullable private final SourceSpec source;
  @Nullable private final PCollection<?> sourceOutput;
  @Nullable private final ExchangeSpec inputExchange;
  @Nullable private final OperatorSpec root;
  private final List<OperatorSpec> operators = new ArrayList<>();
  private final ListMultimap<PCollection<?>, OperatorSpec> consumers = ArrayListMultimap.create();
  private final ListMultimap<PCollection<?>, ExchangeSpec> exchangeOutputs =
      ArrayListMultimap.create();
  private final Set<Stage> upstream = new LinkedHashSet<>();
  private final Set<PCollectionView<?>> sideInputs = new LinkedHashSet<>();
  private final Set<PCollectionView<?>> producedViews = new LinkedHashSet<>();
  private final Map<PCollectionView<?>, PCollection<?>> viewInputs = new HashMap<>();
  private final Map<PCollection<?>, String> producers = new HashMap<>();

  private Stage(
      int id,
      String name,
      @Nullable SourceSpec source,
      @Nullable PCollection<?> sourceOutput,
      @Nullable ExchangeSpec inputExchange,
      @Nullable OperatorSpec root) {
    this.id = id;
    this.name = name;
    this.source = source;
    this.sourceOutput = sourceOutput;
    this.inputExchange = inputExchange;
    this.root = root;
    if (root != null) {
      operators.add(root);
    }
  }

  /** A stage whose elements come from a source. */
  public static Stage ofSource(int id, SourceSpec source, PCollection<?> output) {
    Stage stage = new Stage(id, source.stepName(), source, output, null, null);
    stage.addProducer(output, source.stepName());
    return stage;
  }

  /** A stage whose elements come from an exchange, fed to {@code root}. */
  public static Stage ofExchange(int id, ExchangeSpec exchange, OperatorSpec root) {
    return new Stage(id, root.stepName(), null, null, exchange, root);
  }

  /** Adds a fused step consuming {@code input} (which must be produced in this stage). */
  public void addFused(PCollection<?> input, OperatorSpec spec) {
    operators.add(spec);
    consumers.put(input, spec);
  }

  /** Records that step {@code stepName} of this stage produces {@code output}. */
  public void addProducer(PCollection<?> output, String stepName) {
    producers.put(output, stepName);
  }

  /** Full name of the step of this stage that produces {@code pc}, for error messages. */
  public String producerOf(PCollection<?> pc) {
    return producers.getOrDefault(pc, pc.getName());
  }

  /** Routes {@code output} (produced in this stage) into {@code exchange}. */
  public void addExchangeOutput(PCollection<?> output, ExchangeSpec exchange) {
    exchangeOutputs.put(output, exchange);
  }

  public void addUpstream(Stage stage) {
    if (stage != this) {
      upstream.add(stage);
    }
  }

  /** Records that this stage writes {@code view}, whose contents are the elements of {@code input}. */
  public void addProducedView(PCollectionView<?> view, PCollection<?> input) {
    producedViews.add(view);
    viewInputs.put(view, input);
  }

  /** The PCollection whose elements make up {@code view}, a view this stage produces. */
  public PCollection<?> viewInput(PCollectionView<?> view) {
    return viewInputs.get(view);
  }

  /** Views whose contents are written by steps of this stage. */
  public Set<PCollectionView<?>> producedViews() {
    return producedViews;
  }

  public void addSideInputs(Iterable<PCollectionView<?>> views) {
    views.forEach(sideInputs::add);
  }

  public int id() {
    return id;
  }

  public String name() {
    return name;
  }

  @Nullable
  public SourceSpec source() {
    return source;
  }

  @Nullable
  public PCollection<?> sourceOutput() {
    return sourceOutput;
  }

  @Nullable
  public ExchangeSpec inputExchange() {
    return inputExchange;
  }

  @Nullable
  public OperatorSpec root() {
    return root;
  }

  /** Every step of the stage in topological order; the root (if any) first. */
  public List<OperatorSpec> operators() {
    return operators;
  }

  /** Steps of this stage consuming {@code pc}. */
  public List<OperatorSpec> consumersOf(PCollection<?> pc) {
    return consumers.get(pc);
  }

  /** Exchanges fed from {@code pc}. */
  public List<ExchangeSpec> exchangesFedBy(PCollection<?> pc) {
    return exchangeOutputs.get(pc);
  }

  /**
   * Every exchange this stage writes into: those its PCollections are routed to, and those its
   * partial combines write their accumulators to.
   */
  public Set<ExchangeSpec> outputExchanges() {
    Set<ExchangeSpec> all = new LinkedHashSet<>(exchangeOutputs.values());
    for (OperatorSpec operator : operators) {
      if (operator instanceof OperatorSpec.PartialCombine partial) {
        all.add(partial.exchange());
      }
    }
    return all;
  }

  /** Stages that must complete before this one starts (producers of its inputs and views). */
  public Set<Stage> upstream() {
    return upstream;
  }

  /** Side inputs read by steps of this stage. */
  public Set<PCollectionView<?>> sideInputs() {
    return sideInputs;
  }

  @Override
  public String toString() {
    return "Stage " + id + " (" + name + ")";
  }
}
