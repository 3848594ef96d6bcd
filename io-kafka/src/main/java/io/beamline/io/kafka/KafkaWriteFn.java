package io.beamline.io.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamline.sdk.testing.CrashPoint;
import io.beamline.sdk.testing.CrashPoints;
import io.beamline.sdk.io.DeferredFlush;
import io.beamline.sdk.io.EpochInfo;
import io.beamline.sdk.io.EpochTransactional;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.Serializer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one bundle to Kafka. In exactly-once mode inside a checkpointed Beamline run ({@link
 * EpochInfo#current()} present) each bundle is epoch N of one shard and becomes one Kafka
 * transaction of the shard's fixed {@code transactional.id = prefix-shard}:
 *
 * <ol>
 *   <li>on the shard's first use in this process, {@code initTransactions()} fences any older
 *       producer of the id and aborts its open transaction, then the shard's marker is read;
 *   <li>if the marker says epoch N of this run is committed (a replay after a crash between the
 *       Kafka commit and {@code commits/N}), the bundle is dropped;
 *   <li>otherwise the records are sent in a transaction that also commits the marker {@code
 *       (runId, N)} — group {@code prefix-marker-shard}, offset N on partition 0 of the output
 *       topic, via {@code sendOffsetsToTransaction} — and is committed in {@code @FinishBundle},
 *       before the runner writes {@code commits/N}.
 * </ol>
 *
 * <p>On RealtimeRunner, whose epochs are checkpoint intervals of many bundles ({@link
 * DeferredFlush} installed as well), the shard's transaction of epoch N stays open across N's
 * bundles and commits at barrier N in two phases ({@link DeferredFlush.EpochCommit}): flush and
 * marker once the barrier is reached, {@code commitTransaction} once {@code offsets/N} is durable,
 * still before {@code commits/N}. The transaction of N+1 begins with its first record.
 *
 * <p>This is the protocol of Beam's {@code KafkaExactlyOnceSink} with the runner's epoch as the
 * sequence number ({@code ../shared/research/exactly-once.md} §1.4, §6.1). Producers live as long
 * as the DoFn instance ({@code @Setup} to {@code @Teardown}), which Beamline's runners reuse for
 * the whole run, as Flink does: {@code initTransactions()} costs hundreds of milliseconds and runs
 * once per shard and run, not per epoch.
 *
 * <p>Outside a checkpointed Beamline run there is no epoch to mark: each bundle is then one
 * transaction of a producer with a random id — atomic, but a retried bundle is written again.
 *
 * <p>At-least-once ({@code withAtLeastOnce()}): an idempotent producer sends per record; at the end
 * of a bundle a failed send fails the bundle, and the producer is flushed — per bundle as Beam's
 * contract asks, or at the runner's commit points where it defers flushes ({@link DeferredFlush}:
 * RealtimeRunner).
 */
final class KafkaWriteFn<K, V> extends DoFn<KV<K, V>, Void> implements EpochTransactional {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaWriteFn.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /**
   * Testing only: {@code -Dbeamline.kafka.ignoreReplayMarker=true} makes the sink forget its
   * markers, so the crash test can show that without them replayed epochs are duplicated.
   */
  private static final boolean IGNORE_MARKER = Boolean.getBoolean("beamline.kafka.ignoreReplayMarker");

  private final WriteSpec<K, V> spec;
  private final Counter written = Metrics.counter(KafkaWriteFn.class, "recordsWritten");
  private final Counter skipped = Metrics.counter(KafkaWriteFn.class, "recordsSkippedOnReplay");
  /** This instance's shard writers by bootstrap servers and transactional id. */
  private transient Map<String, ShardWriter> writers;
  private transient @Nullable ShardWriter writer;
  private transient @Nullable EpochInfo epoch;
  private transient boolean skipBundle;
  private transient long bundleRecords;

  KafkaWriteFn(WriteSpec<K, V> spec) {
    this.spec = spec;
  }

  /** Only in exactly-once mode: {@code withAtLeastOnce()} sends without transactions. */
  @Override
  public boolean commitsPerEpoch() {
    return spec.exactlyOnce;
  }

  /** Yes: a transaction per epoch and shard, open across the epoch's bundles (class comment). */
  @Override
  public boolean commitsAtBarriers() {
    return true;
  }

  @Setup
  public void setup() {
    writers = new HashMap<>();
  }

  /** Closes the instance's producers (an open transaction is aborted by the broker on timeout). */
  @Teardown
  public void teardown() {
    if (writers != null) {
      writers.values().forEach(ShardWriter::close);
      writers.clear();
    }
  }

  @StartBundle
  public void startBundle() {
    writer = null;
    skipBundle = false;
    bundleRecords = 0;
    epoch = spec.exactlyOnce ? EpochInfo.current().orElse(null) : null;
  }

  @ProcessElement
  public void processElement(@Element KV<K, V> element, ProcessContext context) throws Exception {
    if (writer == null) {
      writer = openBundle();
    }
    if (skipBundle) {
      skipped.inc();
      return;
    }
    Long timestamp = spec.useInputTimestamp ? context.timestamp().getMillis() : null;
    ShardWriter w = writer;
    w.producer.send(
        new ProducerRecord<>(spec.topic, null, timestamp, element.getKey(), element.getValue()),
        (metadata, error) -> {
          if (error != null) {
            w.sendError = error;
          }
        });
    bundleRecords++;
  }

  /** Picks the bundle's shard writer, and begins its transaction unless the epoch is done. */
  private ShardWriter openBundle() throws Exception {
    if (!spec.exactlyOnce) {
      return writerFor(spec.bootstrapServers + "/at-least-once/" + spec.topic, null);
    }
    if (epoch == null) {
      ShardWriter w =
          new ShardWriter(spec, spec.transactionalIdPrefix + "-" + UUID.randomUUID());
      w.init(null);
      w.producer.beginTransaction();
      return w;
    }
    String id = spec.transactionalIdPrefix + "-" + epoch.shard();
    ShardWriter w = writerFor(spec.bootstrapServers + "/" + id, id);
    if (w.inTransaction && w.transactionEpoch == epoch.epoch() && atBarriers()) {
      return w; // the epoch's transaction, open since an earlier bundle of it
    }
    if (w.inTransaction) {
      // A bundle of this JVM ended without commit or discard (its run was cancelled): start over
      // with a new producer, whose initTransactions() aborts that transaction.
      discard(w);
      w = writerFor(spec.bootstrapServers + "/" + id, id);
    }
    w.init(epoch.runId());
    if (epoch.epoch() <= w.committedEpoch) {
      LOG.info(
          "{}: {} is already committed to Kafka (marker {}); dropping its replayed output",
          id, epoch, w.committedEpoch);
      skipBundle = true;
    } else {
      w.producer.beginTransaction();
      w.inTransaction = true;
      w.transactionEpoch = epoch.epoch();
      w.transactionInfo = epoch;
    }
    return w;
  }

  /** True where the runner commits at checkpoint barriers: an epoch spans many bundles. */
  private boolean atBarriers() {
    return epoch != null && DeferredFlush.current().isPresent();
  }

  /**
   * This instance's writer of {@code key}, made on first use (or again after it was discarded).
   */
  private ShardWriter writerFor(String key, @Nullable String transactionalId) {
    return writers.computeIfAbsent(key, k -> new ShardWriter(spec, transactionalId));
  }

  /** Drops a producer whose transaction state is unknown; the next use creates a new one. */
  private void discard(ShardWriter w) {
    writers.values().remove(w);
    w.close();
  }

  @FinishBundle
  public void finishBundle() throws Exception {
    ShardWriter w = writer;
    if (w == null || skipBundle) {
      return;
    }
    long start = System.nanoTime();
    try {
      if (!spec.exactlyOnce) {
        w.throwSendError();
        Optional<DeferredFlush> deferred = DeferredFlush.current();
        if (deferred.isPresent()) {
          deferred.get().defer(w); // the runner commits nothing per bundle: flush at its commit point
        } else {
          w.flush();
        }
      } else if (atBarriers()) {
        w.throwSendError();
        DeferredFlush.current().get().deferCommit(w); // committed at the barrier: ShardWriter.commit
      } else {
        w.flush();
        if (epoch != null) {
          w.producer.sendOffsetsToTransaction(
              Map.of(
                  new TopicPartition(spec.topic, 0),
                  new OffsetAndMetadata(epoch.epoch(), marker(epoch))),
              new ConsumerGroupMetadata(w.markerGroup()));
        }
        if (epoch != null) {
          CrashPoints.reached(CrashPoint.SINK_BEFORE_COMMIT, epoch.epoch());
        }
        w.producer.commitTransaction();
        w.inTransaction = false;
        if (epoch != null) {
          w.committedEpoch = epoch.epoch();
          CrashPoints.reached(CrashPoint.SINK_AFTER_COMMIT, epoch.epoch());
        } else {
          w.close();
        }
      }
      written.inc(bundleRecords);
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      discard(w);
      throw new IllegalStateException(
          "transactional.id "
              + w.transactionalId
              + " was taken over by a newer producer (another instance of this job, or a"
              + " restart); this attempt stops so that the newer one owns the shard",
          e);
    } catch (Exception e) {
      discard(w); // the transaction's outcome is unknown: a restart fences it and reads the marker
      throw e;
    } finally {
      if (epoch != null) {
        epoch.addSinkCommitNanos(System.nanoTime() - start);
      }
    }
  }

  private static String marker(EpochInfo epoch) {
    return JSON.createObjectNode()
        .put("runId", epoch.runId())
        .put("epoch", epoch.epoch())
        .toString();
  }

  /**
   * One shard's producer and what it knows of the shard's committed epochs; as a {@link
   * DeferredFlush.Flush}, the at-least-once flush a runner may run at its commit point.
   */
  static final class ShardWriter implements DeferredFlush.Flush, DeferredFlush.EpochCommit {
    final WriteSpec<?, ?> spec;
    final @Nullable String transactionalId;
    final Producer<Object, Object> producer;
    long committedEpoch = -1;
    boolean initialized;
    /** A transaction was begun and neither committed nor discarded. */
    boolean inTransaction;
    /** The epoch of the open transaction, and its {@link EpochInfo}. */
    long transactionEpoch = -1;
    @Nullable EpochInfo transactionInfo;
    /** The run whose marker {@link #committedEpoch} was read for. */
    @Nullable String markerRunId;
    volatile @Nullable Exception sendError;

    @SuppressWarnings("unchecked")
    ShardWriter(WriteSpec<?, ?> spec, @Nullable String transactionalId) {
      this.spec = spec;
      this.transactionalId = transactionalId;
      Map<String, Object> config = new HashMap<>(spec.producerConfig);
      config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, spec.bootstrapServers);
      config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      config.put(ProducerConfig.ACKS_CONFIG, "all");
      if (transactionalId != null) {
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) spec.transactionTimeoutMillis);
      }
      this.producer =
          new KafkaProducer<>(
              config,
              (Serializer<Object>) newSerializer(spec.keySerializer, config, true),
              (Serializer<Object>) newSerializer(spec.valueSerializer, config, false));
    }

    private static Serializer<?> newSerializer(
        Class<? extends Serializer<?>> type, Map<String, Object> config, boolean isKey) {
      try {
        Serializer<?> s = type.getDeclaredConstructor().newInstance();
        s.configure(config, isKey);
        return s;
      } catch (ReflectiveOperationException e) {
        throw new IllegalArgumentException("Cannot instantiate serializer " + type, e);
      }
    }

    String markerGroup() {
      return spec.transactionalIdPrefix + "-marker-" + transactionalId.substring(transactionalId.lastIndexOf('-') + 1);
    }

    /**
     * Fences older producers of the id (aborting their open transaction) the first time, then reads
     * the shard's marker for run {@code runId} — again whenever the run changes (another pipeline
     * in this JVM): the last epoch of that run committed to Kafka.
     */
    synchronized void init(@Nullable String runId) throws Exception {
      if (!initialized) {
        try {
          producer.initTransactions();
        } catch (KafkaException e) {
          // kafka-clients 3.9 reports INVALID_TRANSACTION_TIMEOUT as a plain KafkaException
          if (!(e instanceof org.apache.kafka.common.errors.InvalidTxnTimeoutException)
              && !(e.getCause() instanceof org.apache.kafka.common.errors.InvalidTxnTimeoutException)
              && !String.valueOf(e.getMessage()).contains("transaction.max.timeout.ms")) {
            throw e;
          }
          throw new IllegalArgumentException(
              "The Kafka sink's transaction timeout ("
                  + spec.transactionTimeoutMillis
                  + " ms) exceeds the broker's transaction.max.timeout.ms: lower it with"
                  + " KafkaIO.write().withTransactionTimeout(...) or raise the broker setting",
              e);
        }
        initialized = true;
      }
      if (runId == null || runId.equals(markerRunId)) {
        return; // the marker of this run is known: this process committed since it read it
      }
      committedEpoch = -1;
      try (Admin admin =
          Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, spec.bootstrapServers))) {
        Map<TopicPartition, OffsetAndMetadata> offsets =
            admin
                .listConsumerGroupOffsets(
                    markerGroup(), new ListConsumerGroupOffsetsOptions().requireStable(true))
                .partitionsToOffsetAndMetadata()
                .get();
        OffsetAndMetadata marker = offsets.get(new TopicPartition(spec.topic, 0));
        if (marker != null && IGNORE_MARKER) {
          LOG.warn("{}: replay marker ignored (beamline.kafka.ignoreReplayMarker): replayed epochs"
              + " are written again", transactionalId);
        } else if (marker != null) {
          JsonNode node = JSON.readTree(marker.metadata());
          if (runId.equals(node.path("runId").asText())) {
            committedEpoch = node.path("epoch").asLong();
          } else {
            LOG.info(
                "{}: marker of another run ({}) ignored: this is a new run ({})",
                transactionalId, node.path("runId").asText(), runId);
          }
        }
      } catch (ExecutionException e) {
        throw new KafkaException("Cannot read the marker of " + markerGroup(), e.getCause());
      }
      markerRunId = runId;
      LOG.info("{}: ready, last committed epoch of run {}: {}", transactionalId, runId, committedEpoch);
    }

    /** Waits until every record sent so far is acknowledged, then throws a failed send's error. */
    @Override
    public void flush() throws Exception {
      producer.flush();
      throwSendError();
    }

    /**
     * Barrier phase one: every record of the epoch acknowledged, the marker of {@code (runId, N)}
     * added to the transaction. A failure closes the producer: its transaction is aborted by the
     * restart's {@code initTransactions()}.
     */
    @Override
    public void preCommit() throws Exception {
      try {
        flush();
        producer.sendOffsetsToTransaction(
            Map.of(
                new TopicPartition(spec.topic, 0),
                new OffsetAndMetadata(transactionEpoch, marker(transactionInfo))),
            new ConsumerGroupMetadata(markerGroup()));
      } catch (Exception e) {
        close();
        throw e;
      }
      CrashPoints.reached(CrashPoint.SINK_BEFORE_COMMIT, transactionEpoch);
    }

    /** Barrier phase two: commits the epoch's transaction (after {@code offsets/N} is durable). */
    @Override
    public void commit() throws Exception {
      try {
        producer.commitTransaction();
      } catch (Exception e) {
        close(); // outcome unknown: the restart fences the id and reads the marker
        throw e;
      }
      inTransaction = false;
      committedEpoch = transactionEpoch;
      CrashPoints.reached(CrashPoint.SINK_AFTER_COMMIT, transactionEpoch);
    }

    void throwSendError() throws Exception {
      Exception e = sendError;
      if (e != null) {
        sendError = null;
        throw e;
      }
    }

    void close() {
      producer.close(java.time.Duration.ZERO);
    }
  }
}
