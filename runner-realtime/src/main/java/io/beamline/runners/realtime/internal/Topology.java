package io.beamline.runners.realtime.internal;

import io.beamline.sdk.internal.exchange.ExchangeCodec;
import io.beamline.sdk.internal.exchange.ExchangeWriter;
import io.beamline.sdk.internal.plan.ExchangeSpec;
import io.beamline.sdk.internal.plan.ExecutablePlan;
import io.beamline.sdk.internal.plan.Stage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The wiring of a real-time run: one {@link Inbox} per task (stage × partition) and one {@link
 * Channel} per pair of producer task and consumer task that an exchange can route between — every
 * pair for a keyed exchange (P × P per producing stage), partition p to partition p for a forward
 * one. A task's {@link ExchangeWriter}s offer records straight to these channels, routed by encoded
 * key exactly as MicroBatchRunner routes them ({@code Partitioning}).
 *
 * <p>Threading: built on one thread before any task starts; read-only afterwards (the channels
 * themselves are single-producer single-consumer).
 */
final class Topology {
  private final int parallelism;
  private final Map<Stage, Inbox[]> inboxes = new HashMap<>();
  private final Map<ExchangeSpec, ExchangeCodec> codecs = new HashMap<>();
  /** (exchange id, producer stage id, producer partition) → channel per consumer partition. */
  private final Map<List<Integer>, Channel[]> routes = new HashMap<>();
  private final Map<Stage, List<List<Channel>>> outputs = new HashMap<>();

  Topology(ExecutablePlan plan, int parallelism, RunControl run) {
    this.parallelism = parallelism;
    Map<ExchangeSpec, Stage> consumers = new HashMap<>();
    for (Stage stage : plan.stages()) {
      Inbox[] stageInboxes = new Inbox[parallelism];
      for (int p = 0; p < parallelism; p++) {
        stageInboxes[p] = run.newInbox();
      }
      inboxes.put(stage, stageInboxes);
      List<List<Channel>> stageOutputs = new ArrayList<>();
      for (int p = 0; p < parallelism; p++) {
        stageOutputs.add(new ArrayList<>());
      }
      outputs.put(stage, stageOutputs);
      if (stage.inputExchange() != null) {
        consumers.put(stage.inputExchange(), stage);
        codecs.put(stage.inputExchange(), new ExchangeCodec(stage.inputExchange()));
      }
    }
    int capacity = run.settings().channelCapacity();
    for (Stage producer : plan.stages()) {
      for (ExchangeSpec exchange : producer.outputExchanges()) {
        Inbox[] targets = inboxes.get(consumers.get(exchange));
        for (int p = 0; p < parallelism; p++) {
          Channel[] route = new Channel[parallelism];
          for (int q = 0; q < parallelism; q++) {
            if (exchange.isKeyed() || q == p) {
              route[q] = targets[q].addChannel(capacity);
              outputs.get(producer).get(p).add(route[q]);
            }
          }
          routes.put(List.of(exchange.id(), producer.id(), p), route);
        }
      }
    }
  }

  /** The inbox of one task. */
  Inbox inbox(Stage stage, int partition) {
    return inboxes.get(stage)[partition];
  }

  /** Every channel into the tasks of {@code stage}. */
  List<Channel> inputChannels(Stage stage) {
    List<Channel> all = new ArrayList<>();
    for (Inbox inbox : inboxes.get(stage)) {
      all.addAll(inbox.channels());
    }
    return all;
  }

  /** The codec of the exchange feeding {@code stage}. */
  ExchangeCodec inputCodec(Stage stage) {
    return codecs.get(stage.inputExchange());
  }

  /** Every channel task (stage, partition) writes into: where its watermarks and END go. */
  List<Channel> outputs(Stage stage, int partition) {
    return outputs.get(stage).get(partition);
  }

  /** A writer for task (stage, partition) into {@code exchange}, offering to its channels. */
  ExchangeWriter writer(ExchangeSpec exchange, String producer, Stage stage, int partition) {
    Channel[] route = routes.get(List.of(exchange.id(), stage.id(), partition));
    if (route == null) {
      throw new IllegalStateException(stage + " does not feed " + exchange.name());
    }
    return new ExchangeWriter(codecs.get(exchange), producer, partition, parallelism) {
      @Override
      protected void emit(int target, Object record) {
        route[target].put(record);
      }

      @Override
      public void flush() {
        // records are offered to the channels as they are written
      }
    };
  }
}
