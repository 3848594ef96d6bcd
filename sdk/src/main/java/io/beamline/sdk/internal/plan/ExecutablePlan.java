package io.beamline.sdk.internal.plan;


import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * What a runner executes: fused stages in a topological order (every stage comes after the stages
 * it reads from, including the producers of its side inputs) and the exchanges between them.
 *
 * @param stages topological order
 * @param exchanges every shuffle edge of the plan
 * @param bounded true if the plan runs as one epoch over bounded input, false if it runs as a
 *     sequence of epochs or continuously: streaming was asked for, or a
 *     TestStream drives the pipeline
 * @param transactionalSinks steps whose DoFn is {@link io.beamline.sdk.io.EpochTransactional} and
 *     commits per epoch
 * @param sinksNotCommittingAtBarriers those of them that cannot commit at RealtimeRunner's
 *     checkpoint barriers ({@link io.beamline.sdk.io.EpochTransactional#commitsAtBarriers()})
 */
public record ExecutablePlan(
    List<Stage> stages,
    List<ExchangeSpec> exchanges,
    boolean bounded,
    List<String> transactionalSinks,
    List<String> sinksNotCommittingAtBarriers) {

  public ExecutablePlan {
    stages = ImmutableList.copyOf(stages);
    exchanges = ImmutableList.copyOf(exchanges);
    transactionalSinks = ImmutableList.copyOf(transactionalSinks);
    sinksNotCommittingAtBarriers = ImmutableList.copyOf(sinksNotCommittingAtBarriers);
  }

  public ExecutablePlan(List<Stage> stages, List<ExchangeSpec> exchanges, boolean bounded) {
    this(stages, exchanges, bounded, List.of(), List.of());
  }

  /**
   * One line per source, exchange and step, in plan order: what a checkpoint's plan fingerprint is
   * computed from, and what a changed plan is explained with. Stage numbers are left out so that
   * an added stage shows as one changed line, not as every later line.
   */
  public List<String> fingerprintLines() {
    List<String> lines = new java.util.ArrayList<>();
    for (Stage stage : stages) {
      if (stage.source() != null) {
        lines.add("source " + stage.source().stepName());
      } else {
        ExchangeSpec exchange = stage.inputExchange();
        lines.add(
            "exchange "
                + exchange.name()
                + (exchange.isKeyed() ? " keyed by " + exchange.keyCoder() : " forward")
                + " of "
                + exchange.elementCoder());
      }
      for (OperatorSpec op : stage.operators()) {
        lines.add("step " + op.stepName());
      }
    }
    return lines;
  }

  /** A multi-line description of the stages, for logs and error messages. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (Stage stage : stages) {
      sb.append(stage).append(" <- ").append(stage.upstream()).append('\n');
      for (OperatorSpec op : stage.operators()) {
        sb.append("    ").append(op.stepName()).append('\n');
      }
    }
    return sb.toString();
  }
}
