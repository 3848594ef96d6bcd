package io.beamline.examples;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes a {@link FlightReplay} to the input topic: records the topic already holds are skipped,
 * records a previous run may have sent ({@link ReplayState#declared()}) are re-sent at once, and
 * the rest is paced at {@code speedup} seconds of departure time per second.
 *
 * <p>One idempotent producer without transactions writes each record to its partition, in replay
 * order, so the records of a partition get offsets 0, 1, 2, … in that order. Pacing: a record
 * released at departure time {@code t} is sent at {@code start + (t − t0) / speedup} of wall-clock
 * time; before waiting, the producer is flushed, so that what is due is in the topic.
 *
 * <p>Threading: {@link #prepare} and {@link #fastForward} run on the caller's thread, then {@link
 * #start} paces the rest on a thread of its own; {@link #stop} interrupts it.
 */
final class Replayer {
  /** How far ahead of what it sends the replayer declares in the state file. */
  private static final int DECLARE_AHEAD = 500;
  /** Shortest wait worth flushing and sleeping for. */
  private static final long MIN_WAIT_NANOS = 2_000_000;

  private final FlightReplay replay;
  private final String bootstrapServers;
  private final String topic;
  private final double speedup;
  private final ReplayState state;
  private final Path checkpointDir;
  private final KafkaProducer<String, String> producer;
  private final long[] present;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicReference<Exception> sendError = new AtomicReference<>();
  private volatile long alreadyInTopic;
  private volatile boolean done;
  private volatile boolean stopped;
  private volatile Throwable failure;
  private volatile Instant position;
  private volatile Thread thread;
  private int next;

  Replayer(
      FlightReplay replay,
      String bootstrapServers,
      String topic,
      double speedup,
      ReplayState state,
      Path checkpointDir) {
    this.replay = replay;
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.speedup = speedup;
    this.state = state;
    this.checkpointDir = checkpointDir;
    this.present = new long[replay.partitions()];
    this.producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.LINGER_MS_CONFIG, "1",
                ProducerConfig.CLIENT_ID_CONFIG, "flights-replayer"),
            new StringSerializer(),
            new StringSerializer());
  }

  /**
   * Finds what the topic already holds and checks that it is this replay's beginning.
   *
   * @throws IllegalStateException if the topic holds other records
   */
  void prepare() {
    List<TopicPartition> partitions = new ArrayList<>();
    for (int p = 0; p < replay.partitions(); p++) {
      partitions.add(new TopicPartition(topic, p));
    }
    List<List<FlightReplay.Entry>> byPartition = new ArrayList<>();
    for (int p = 0; p < replay.partitions(); p++) {
      byPartition.add(new ArrayList<>());
    }
    replay.entries().forEach(e -> byPartition.get(e.partition()).add(e));
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.CLIENT_ID_CONFIG, "flights-replayer-check"),
            new StringDeserializer(),
            new StringDeserializer())) {
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long total = 0;
      for (TopicPartition tp : partitions) {
        present[tp.partition()] = end.get(tp);
        total += end.get(tp);
        if (end.get(tp) > byPartition.get(tp.partition()).size()) {
          throw notThisReplay(tp, end.get(tp), "it holds more records than the replay has");
        }
      }
      alreadyInTopic = total;
      if (total == 0) {
        return;
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long checked = 0;
      while (checked < total) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.offset() >= present[r.partition()]) {
            continue;
          }
          FlightReplay.Entry expected = byPartition.get(r.partition()).get((int) r.offset());
          if (!expected.value().equals(r.value()) || !expected.key().equals(r.key())) {
            throw notThisReplay(
                new TopicPartition(topic, r.partition()), r.offset(), "its record differs");
          }
          checked++;
        }
      }
    }
  }

  private IllegalStateException notThisReplay(TopicPartition tp, long offset, String why) {
    return new IllegalStateException(
        String.format(
            "Topic %s does not hold this job's replay (partition %d, offset %d: %s); use another"
                + " --inputTopic, or delete the topic",
            topic, tp.partition(), offset, why));
  }

  /**
   * Sends, without pacing, every record before {@link ReplayState#declared()} that the topic lacks,
   * and waits until they are written.
   *
   * @return the number of records sent
   */
  long fastForward() throws Exception {
    long declared = Math.min(state.declared(), replay.entries().size());
    long before = sent.get();
    for (next = 0; next < declared; next++) {
      FlightReplay.Entry e = replay.entries().get(next);
      if (e.offset() >= present[e.partition()]) {
        send(e);
      }
    }
    producer.flush();
    throwSendError();
    return sent.get() - before;
  }

  /** Paces the remaining records on a new thread. */
  void start() {
    Thread t = new Thread(this::pace, "flights-replayer");
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  private void pace() {
    List<FlightReplay.Entry> entries = replay.entries();
    long eventStart = Long.MIN_VALUE;
    long wallStart = 0;
    try {
      for (; next < entries.size(); next++) {
        FlightReplay.Entry e = entries.get(next);
        if (e.offset() < present[e.partition()]) {
          continue;
        }
        if (speedup > 0) {
          if (eventStart == Long.MIN_VALUE) {
            eventStart = e.releaseMillis();
            wallStart = System.nanoTime();
          }
          long due = wallStart + (long) ((e.releaseMillis() - eventStart) * 1e6 / speedup);
          long wait = due - System.nanoTime();
          if (wait > MIN_WAIT_NANOS) {
            producer.flush();
            throwSendError();
            TimeUnit.NANOSECONDS.sleep(wait);
          }
        }
        if (next >= state.declared()) {
          state.declare(Math.min(entries.size(), (long) next + DECLARE_AHEAD), checkpointDir);
        }
        send(e);
      }
      producer.flush();
      throwSendError();
      done = true;
    } catch (InterruptedException | InterruptException e) {
      stopped = true;
    } catch (Throwable t) {
      if (stopped) {
        return;
      }
      failure = t;
    } finally {
      // Stopped by an interrupt (Ctrl-C): Kafka's InterruptException sets the thread's interrupt
      // flag again, and close() would then throw it from its join (printed as an uncaught
      // exception). Clear the flag first; the thread ends right after.
      Thread.interrupted();
      try {
        producer.close(stopped ? Duration.ZERO : Duration.ofSeconds(5));
      } catch (InterruptException e) {
        // closing after a stop is best effort
      }
    }
  }

  private void send(FlightReplay.Entry e) {
    RecordHeaders headers = new RecordHeaders();
    if (e.control()) {
      headers.add(
          new RecordHeader(FlightReplay.CONTROL_HEADER, "end-of-replay".getBytes(StandardCharsets.UTF_8)));
    }
    producer.send(
        new ProducerRecord<>(topic, e.partition(), null, e.key(), e.value(), headers),
        (metadata, error) -> {
          if (error != null) {
            sendError.compareAndSet(null, error);
          }
        });
    sent.incrementAndGet();
    position = Instant.ofEpochMilli(e.releaseMillis());
  }

  private void throwSendError() throws Exception {
    Exception e = sendError.get();
    if (e != null) {
      throw new IllegalStateException("the replayer could not write to topic " + topic, e);
    }
  }

  /** Stops the pacing thread (if running) and waits for it. */
  void stop() {
    stopped = true;
    Thread t = thread;
    if (t == null) {
      producer.close(Duration.ZERO);
      return;
    }
    t.interrupt();
    try {
      t.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** True once every record is in the topic. */
  boolean done() {
    return done;
  }

  /** Why the pacing thread failed, or null. */
  Throwable failure() {
    return failure;
  }

  /** Records sent by this run. */
  long sent() {
    return sent.get();
  }

  /** Records the topic held when the job started. */
  long alreadyInTopic() {
    return alreadyInTopic;
  }

  /** Release time (departure time) of the last record sent, or null. */
  Instant position() {
    return position;
  }
}
