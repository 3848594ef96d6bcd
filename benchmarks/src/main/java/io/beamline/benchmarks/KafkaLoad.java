package io.beamline.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The driver side of the Kafka benchmarks, in the parent JVM next to the broker: the input producers (a fixed-rate
 * one for latency, a bulk preload for throughput) and the {@code read_committed} consumer of the output ({@link
 * Tail}) that verifies every record and measures latency.
 */
final class KafkaLoad {

  private KafkaLoad() {}

  /** When a fixed-rate load was sent: wall-clock ms of the first record, of the first measured one, of the last. */
  record Sent(long firstMs, long steadyFromMs, long lastMs, long records) {}

  private static Map<String, Object> producerConfig(String bootstrap, boolean bulk) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.CLIENT_ID_CONFIG, bulk ? "bench-preload" : "bench-load");
    if (bulk) {
      config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
      config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    } else {
      config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    }
    return config;
  }

  /**
   * Writes records {@code 0..count-1} to {@code topic} at {@code ratePerSecond}, record {@code id} to partition
   * {@code id % partitions}, each with Kafka timestamp = {@code System.currentTimeMillis()} when it is sent. The
   * rate is kept by sending, about every millisecond, the records that are due by then.
   *
   * @param sentNanos receives, at index {@code id}, {@code System.nanoTime()} right before record {@code id} is
   *     handed to the producer (length at least {@code count}); {@link Tail} reads it for sub-millisecond latency
   */
  static Sent fixedRate(String bootstrap, String topic, int partitions, long count, double ratePerSecond,
      long steadyFromId, AtomicLongArray sentNanos) {
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(producerConfig(bootstrap, false), new StringSerializer(), new StringSerializer())) {
      producer.partitionsFor(topic); // metadata before the clock starts
      long first = -1;
      long steady = -1;
      long last = -1;
      long start = System.nanoTime();
      long id = 0;
      while (id < count) {
        long due = Math.min(count, (long) ((System.nanoTime() - start) / 1e9 * ratePerSecond) + 1);
        while (id < due) {
          long now = System.currentTimeMillis();
          if (id == 0) {
            first = now;
          }
          if (id == steadyFromId) {
            steady = now;
          }
          last = now;
          sentNanos.set((int) id, System.nanoTime());
          producer.send(new ProducerRecord<>(topic, (int) (id % partitions), now, null, KafkaCopy.inputValue(id)));
          id++;
        }
        LockSupport.parkNanos(1_000_000);
      }
      producer.flush();
      return new Sent(first, steady < 0 ? first : steady, last, count);
    }
  }

  /** Writes records {@code 0..count-1} to {@code topic} as fast as the broker takes them; returns the ms it took. */
  static long preload(String bootstrap, String topic, int partitions, long count) {
    long t0 = System.nanoTime();
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(producerConfig(bootstrap, true), new StringSerializer(), new StringSerializer())) {
      long now = System.currentTimeMillis();
      for (long id = 0; id < count; id++) {
        if ((id & 0xFFF) == 0) {
          now = System.currentTimeMillis();
        }
        producer.send(new ProducerRecord<>(topic, (int) (id % partitions), now, null, KafkaCopy.inputValue(id)));
      }
      producer.flush();
    }
    return (System.nanoTime() - t0) / 1_000_000;
  }

  /**
   * Waits (at most 60 s) until a client's metadata shows {@code partitions} partitions with a leader for each topic:
   * a topic whose creation just returned may still look empty to clients for a moment.
   */
  static void awaitPartitions(String bootstrap, int partitions, String... topics) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringDeserializer(),
        new StringDeserializer())) {
      for (String topic : topics) {
        while (true) {
          var infos = consumer.partitionsFor(topic);
          if (infos != null && infos.size() == partitions
              && infos.stream().allMatch(i -> i.leader() != null && !i.leader().isEmpty())) {
            break;
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("topic " + topic + " has no " + partitions + " partitions with leaders");
          }
          Thread.sleep(50);
        }
      }
    }
  }

  /** A growable array of longs. */
  static final class Longs {
    private long[] values = new long[1024];
    private int size;

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    int size() {
      return size;
    }

    long[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }

  /**
   * Reads the output topic from its beginning with {@code isolation.level=read_committed}, in a thread of its own,
   * from before the system under test starts until after it stopped, and checks every record: its value parses, the
   * transform was applied, the key matches, and each input id arrives exactly once (a {@link BitSet}). For the
   * records with {@code id >= steadyFromId} (after the warm-up) it keeps two latencies:
   *
   * <ul>
   *   <li><b>visible</b>: {@code System.currentTimeMillis()} right after the {@code poll} that returned the record
   *       minus the input record's Kafka timestamp: when a {@code read_committed} consumer could use it, so it
   *       includes the transaction commit;
   *   <li><b>stamped</b>: the output record's Kafka timestamp (CreateTime, the sink's producer clock at {@code
   *       send}) minus the input record's: "record timestamp at input → at output". For exactly-once output this
   *       stops at {@code send}, before the commit that makes the record visible;
   *   <li><b>visible, in microseconds</b>: the first one measured on {@code System.nanoTime()}, from right before
   *       {@link #fixedRate} handed the input record to its producer to right after the {@code poll} here. Both
   *       ends are in this JVM, so it has no millisecond tick: "1 ms" on the millisecond clocks is anything from
   *       just above 0 to just below 2 ms.
   * </ul>
   *
   * All millisecond clocks are the same machine's {@code currentTimeMillis}: the load generator's and this
   * consumer's in the parent JVM, the sink's in the child.
   */
  static final class Tail implements AutoCloseable {
    private final KafkaConsumer<String, String> consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final long expected;
    private final long steadyFromId;
    private final boolean keepLatencies;
    private final BitSet seen = new BitSet();
    private final Longs visible = new Longs();
    private final Longs stamped = new Longs();
    private final Longs visibleMicros = new Longs();
    private final @Nullable AtomicLongArray sentNanos;
    private final List<String> problems = new ArrayList<>();
    private final CountDownLatch complete = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean closing;
    private long distinct;
    private long duplicates;
    private long firstNanos = -1;
    private long completeNanos = -1;
    private volatile Throwable failure;

    /**
     * @param sentNanos when given, the send times {@link #fixedRate} records: latencies in microseconds are kept
     *     too
     */
    Tail(String bootstrap, String topic, long expected, long steadyFromId, boolean keepLatencies,
        @Nullable AtomicLongArray sentNanos) {
      this.expected = expected;
      this.sentNanos = sentNanos;
      this.steadyFromId = steadyFromId;
      this.keepLatencies = keepLatencies;
      Map<String, Object> config = new HashMap<>();
      config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      config.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-tail-" + topic);
      config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50); // a fetch returns as soon as there is data anyway
      config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
      consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
      consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      if (partitions.isEmpty()) {
        consumer.close();
        throw new IllegalStateException("output topic " + topic + " has no partitions (yet)");
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      partitions.forEach(consumer::position);
      thread = new Thread(this::loop, "bench-tail-" + topic);
      thread.setDaemon(true);
      thread.start();
    }

    private void loop() {
      try {
        Map<TopicPartition, Long> end = null;
        while (true) {
          if (closing && end == null) {
            end = consumer.endOffsets(partitions); // read_committed: the last stable offsets
          }
          if (end != null && atEnd(end)) {
            return;
          }
          var records = consumer.poll(Duration.ofMillis(50));
          long nowMs = System.currentTimeMillis();
          long nowNanos = System.nanoTime();
          synchronized (this) {
            for (ConsumerRecord<String, String> r : records) {
              accept(r, nowMs, nowNanos);
            }
          }
        }
      } catch (Throwable t) {
        failure = t;
        complete.countDown();
      } finally {
        consumer.close(Duration.ofSeconds(5));
      }
    }

    private boolean atEnd(Map<TopicPartition, Long> end) {
      for (TopicPartition p : partitions) {
        if (consumer.position(p) < end.get(p)) {
          return false;
        }
      }
      return true;
    }

    private void accept(ConsumerRecord<String, String> r, long nowMs, long nowNanos) {
      KafkaCopy.Output o;
      try {
        o = KafkaCopy.Output.parse(r.value());
      } catch (RuntimeException e) {
        problem("unparsable output " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + e.getMessage());
        return;
      }
      if (!o.transformedCorrectly() || !("k" + (o.id() % KafkaCopy.KEYS)).equals(r.key())) {
        problem("wrong output for id " + o.id() + ": key " + r.key() + ", value " + r.value());
      }
      if (o.id() < 0 || o.id() >= expected) {
        problem("unexpected id " + o.id());
        return;
      }
      int id = (int) o.id();
      if (seen.get(id)) {
        duplicates++;
        return;
      }
      seen.set(id);
      distinct++;
      if (firstNanos < 0) {
        firstNanos = nowNanos;
      }
      if (keepLatencies && id >= steadyFromId) {
        visible.add(nowMs - o.inputTimestamp());
        stamped.add(r.timestamp() - o.inputTimestamp());
        if (sentNanos != null) {
          visibleMicros.add((nowNanos - sentNanos.get(id)) / 1_000);
        }
      }
      if (distinct == expected) {
        completeNanos = nowNanos;
        complete.countDown();
      }
    }

    private void problem(String message) {
      if (problems.size() < 20) {
        problems.add(message);
      }
    }

    /** Waits until every expected id arrived; false on timeout. */
    boolean awaitComplete(long timeout, TimeUnit unit) throws InterruptedException {
      boolean done = complete.await(timeout, unit);
      if (failure != null) {
        throw new IllegalStateException("output consumer failed", failure);
      }
      return done && completeNanos >= 0;
    }

    /** Reads on to the output's current end (last stable offsets) and stops. */
    @Override
    public void close() throws InterruptedException {
      closing = true;
      thread.join(60_000);
    }

    synchronized long distinct() {
      return distinct;
    }

    synchronized long duplicates() {
      return duplicates;
    }

    synchronized List<String> problems() {
      return new ArrayList<>(problems);
    }

    /** {@code System.nanoTime()} when the first / last expected record arrived; -1 if not (yet). */
    synchronized long firstNanos() {
      return firstNanos;
    }

    synchronized long completeNanos() {
      return completeNanos;
    }

    synchronized long[] visibleLatencies() {
      return visible.toArray();
    }

    synchronized long[] stampedLatencies() {
      return stamped.toArray();
    }

    /** Visible latencies in microseconds on {@code System.nanoTime()}; empty without send times. */
    synchronized long[] visibleMicroLatencies() {
      return visibleMicros.toArray();
    }
  }
}
