package io.beamline.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.values.KV;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The floor of the Kafka benchmarks: a plain kafka-clients consume → transform → produce loop, what one would write
 * by hand with no framework, doing the same per-record work as the pipeline under test ({@link KafkaCopy#transform}).
 *
 * <p>Exactly-once (the default), as in Kafka's own exactly-once examples: a {@code read_committed} consumer with
 * assigned partitions (no rebalancing, never auto-committed), a transactional producer ({@code initTransactions}
 * once), and a transaction per <em>commit interval</em>: records are sent as they are consumed, and when the
 * interval has passed (or {@code maxRecordsPerTransaction} records were sent) the consumer's positions go into the
 * transaction with {@code sendOffsetsToTransaction} and it is committed with {@code commitTransaction}. The interval
 * is the runner's {@code --batchInterval} it is compared with, on the same grid: the next deadline is {@code
 * max(previous deadline + interval, now)}. An interval in which nothing was consumed commits nothing.
 *
 * <p>At-least-once ({@code exactlyOnce = false}): an idempotent, non-transactional producer; at each interval the
 * producer is flushed and the consumer's positions are committed with {@code commitSync}.
 *
 * <p>With {@code threads > 1} the input partitions are divided among that many independent loops (partition
 * {@code p} to loop {@code p % threads}), each with its own consumer, producer and transactional id.
 */
final class KafkaFloor implements AutoCloseable {

  private final List<Loop> loops = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stopped;
  private volatile Throwable failure;

  /** Per transaction: how long {@code sendOffsetsToTransaction} + {@code commitTransaction} (or flush + commitSync) took, µs. */
  private final List<Long> commitMicros = new ArrayList<>();
  /** Per transaction: its records. */
  private final List<Long> commitRecords = new ArrayList<>();
  private final AtomicLong records = new AtomicLong();

  /**
   * Starts the loops; returns once every loop has its consumer assigned and (exactly-once) its producer's
   * transactions initialized, i.e. when it is about to poll.
   */
  static KafkaFloor start(
      String bootstrapServers, String inputTopic, String outputTopic, String id, long intervalMillis,
      long maxRecordsPerTransaction, boolean exactlyOnce, int threads, boolean countPerKey)
      throws InterruptedException {
    KafkaFloor floor = new KafkaFloor();
    List<TopicPartition> partitions = new ArrayList<>();
    try (KafkaConsumer<String, String> lister = new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), new StringDeserializer(),
        new StringDeserializer())) {
      lister.partitionsFor(inputTopic).forEach(p -> partitions.add(new TopicPartition(inputTopic, p.partition())));
    }
    if (partitions.isEmpty()) {
      throw new IllegalStateException("input topic " + inputTopic + " has no partitions");
    }
    int n = Math.max(1, Math.min(threads, partitions.size()));
    java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      List<TopicPartition> mine = new ArrayList<>();
      for (TopicPartition p : partitions) {
        if (p.partition() % n == i) {
          mine.add(p);
        }
      }
      Loop loop = floor.new Loop(bootstrapServers, mine, outputTopic, id + "-" + i, intervalMillis,
          maxRecordsPerTransaction, exactlyOnce, countPerKey, ready);
      floor.loops.add(loop);
      Thread t = new Thread(loop, "floor-" + id + "-" + i);
      t.setDaemon(true);
      floor.threads.add(t);
      t.start();
    }
    while (!ready.await(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
      if (floor.failure != null) {
        throw new IllegalStateException("floor loop failed to start", floor.failure);
      }
    }
    if (floor.failure != null) {
      throw new IllegalStateException("floor loop failed to start", floor.failure);
    }
    return floor;
  }

  /** Records consumed (and sent) so far. */
  long records() {
    return records.get();
  }

  /** A loop's failure, or null. */
  Throwable failure() {
    return failure;
  }

  synchronized List<Long> commitMicros() {
    return new ArrayList<>(commitMicros);
  }

  synchronized List<Long> commitRecords() {
    return new ArrayList<>(commitRecords);
  }

  private synchronized void committed(long micros, long records) {
    commitMicros.add(micros);
    commitRecords.add(records);
  }

  /** Stops the loops (an open transaction is aborted by closing its producer) and waits for them. */
  @Override
  public void close() throws InterruptedException {
    stopped = true;
    for (Thread t : threads) {
      t.join(30_000);
    }
  }

  /** One consume → transform → produce loop over some partitions. */
  private final class Loop implements Runnable {
    private final String bootstrapServers;
    private final List<TopicPartition> partitions;
    private final String outputTopic;
    private final String id;
    private final long intervalMillis;
    private final long maxRecords;
    private final boolean exactlyOnce;
    /** {@link KafkaCopy#withCount}: this loop's count per output key, in a hash map. */
    private final @org.checkerframework.checker.nullness.qual.Nullable Map<String, Long> counts;
    private final java.util.concurrent.CountDownLatch ready;

    Loop(String bootstrapServers, List<TopicPartition> partitions, String outputTopic, String id,
        long intervalMillis, long maxRecords, boolean exactlyOnce, boolean countPerKey,
        java.util.concurrent.CountDownLatch ready) {
      this.bootstrapServers = bootstrapServers;
      this.partitions = partitions;
      this.outputTopic = outputTopic;
      this.id = id;
      this.intervalMillis = intervalMillis;
      this.maxRecords = maxRecords;
      this.exactlyOnce = exactlyOnce;
      this.counts = countPerKey ? new HashMap<>() : null;
      this.ready = ready;
    }

    @Override
    public void run() {
      String group = "floor-" + id;
      Map<String, Object> consumerConfig = new HashMap<>();
      consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, group);
      consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, group);
      Map<String, Object> producerConfig = new HashMap<>();
      producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
      producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, group + "-producer");
      if (exactlyOnce) {
        producerConfig.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, group);
        producerConfig.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
      }
      try (KafkaConsumer<String, String> consumer =
              new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer());
          KafkaProducer<String, String> producer =
              new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
        consumer.assign(partitions);
        // a fresh group: no committed offsets, so start at the beginning (a restart would seek to committed())
        consumer.seekToBeginning(partitions);
        partitions.forEach(consumer::position);
        ConsumerGroupMetadata groupMetadata = new ConsumerGroupMetadata(group);
        if (exactlyOnce) {
          producer.initTransactions();
          producer.beginTransaction();
        }
        ready.countDown();
        long deadline = System.currentTimeMillis() + intervalMillis;
        long inTransaction = 0;
        while (!stopped) {
          long now = System.currentTimeMillis();
          long wait = Math.max(0, Math.min(deadline - now, 100));
          ConsumerRecords<String, String> polled = consumer.poll(Duration.ofMillis(wait));
          for (ConsumerRecord<String, String> r : polled) {
            KV<String, String> out = KafkaCopy.transform(r.value(), r.timestamp());
            if (counts != null) {
              out = KafkaCopy.withCount(out, counts.merge(out.getKey(), 1L, Long::sum));
            }
            producer.send(new ProducerRecord<>(outputTopic, out.getKey(), out.getValue()), (m, e) -> {
              if (e != null && failure == null) {
                failure = e;
              }
            });
          }
          int count = polled.count();
          inTransaction += count;
          records.addAndGet(count);
          now = System.currentTimeMillis();
          if (now >= deadline || inTransaction >= maxRecords) {
            if (inTransaction > 0) {
              Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
              for (TopicPartition p : partitions) {
                offsets.put(p, new OffsetAndMetadata(consumer.position(p)));
              }
              long t0 = System.nanoTime();
              if (exactlyOnce) {
                producer.sendOffsetsToTransaction(offsets, groupMetadata);
                producer.commitTransaction();
                producer.beginTransaction();
              } else {
                producer.flush();
                consumer.commitSync(offsets);
              }
              committed((System.nanoTime() - t0) / 1000, inTransaction);
              if (failure != null) {
                throw new IllegalStateException("a send failed", failure);
              }
              inTransaction = 0;
            }
            deadline = Math.max(deadline + intervalMillis, System.currentTimeMillis());
          }
        }
        // stopping: abort the open transaction (empty unless records were consumed since the last commit), and
        // close with a bound (KafkaProducer.close() without one was seen to wait 30 s and more here)
        if (exactlyOnce) {
          try {
            producer.abortTransaction();
          } catch (RuntimeException e) {
            System.err.println("[floor " + id + "] abort on stop: " + e);
          }
        }
        producer.close(Duration.ofSeconds(5));
        consumer.close(Duration.ofSeconds(5));
      } catch (Throwable t) {
        if (!stopped) {
          failure = t;
          System.err.println("[floor " + id + "] failed: " + t);
          t.printStackTrace();
        }
      } finally {
        if (ready.getCount() > 0) {
          ready.countDown();
        }
      }
    }
  }
}
