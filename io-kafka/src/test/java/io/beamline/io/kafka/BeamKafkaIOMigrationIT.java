package io.beamline.io.kafka;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.beamline.io.kafka.testing.EmbeddedKafka;
import io.beamline.io.kafka.testing.KafkaTopics;
import io.beamline.runners.microbatch.MicroBatchPipelineResult;
import io.beamline.sdk.EpochProgress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.joda.time.Instant;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.rules.TestName;

/**
 * Migration: a pipeline written with Beam's own {@link KafkaIO} (read and write), {@link
 * BeamKafkaWordCount}, runs unchanged on {@code MicroBatchRunner} against the embedded broker. The
 * runs below differ only in command-line flags: {@code --runner} (plus, for MicroBatchRunner, the
 * optional {@code --batchInterval}, {@code --parallelism} and a temporary {@code --checkpointDir};
 * for DirectRunner {@code --blockOnRun=false}, without which its {@code run()} does not return on
 * an unbounded read) and the pipeline's own options.
 *
 * <p>Read paths of Beam 2.70's {@code KafkaIO.Read}, which picks one in {@code expand}:
 *
 * <ul>
 *   <li>default: on a runner that is not Dataflow and without the {@code use_sdf_read} or {@code
 *       beam_fn_api} experiment, {@code KafkaIO.Read} expands to the legacy {@code
 *       Read.from(KafkaUnboundedSource)} ({@code KafkaIO.Read#runnerPrefersLegacyRead}), which
 *       MicroBatchRunner runs as an {@code UnboundedSource} read with {@code KafkaCheckpointMark}s
 *       in its offset log;
 *   <li>{@code --experiments=use_sdf_read}: the splittable {@code ReadFromKafkaDoFn}, unbounded
 *       per element, run through runners-core's {@code SplittableParDoViaKeyedWorkItems};
 *   <li>{@code withMaxNumRecords}: bounded, Beam's {@code BoundedReadFromUnboundedSource} over the
 *       legacy source (a bounded run);
 *   <li>{@code withStopReadTime}: bounded, supported only by the splittable {@code
 *       ReadFromKafkaDoFn} (a bounded run).
 * </ul>
 *
 * <p>An unbounded run is stopped the way a user stops one: the test watches the output topic until
 * every expected count is there (a consumer poll loop with a deadline), then calls {@code
 * cancel()}, then checks that the whole output topic is exactly the expected counts, no more.
 */
public class BeamKafkaIOMigrationIT {
  private static final String INPUT = "words";
  private static final int RECORDS = 300;
  private static final int PARTITIONS = 3;
  private static final String[] WORDS = {"apple", "banana", "cherry", "date", "elderberry"};
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private static EmbeddedKafka kafka;
  /** Event time of record 0 of {@link #INPUT}, a whole minute; record i is {@code i} s later. */
  private static Instant base;
  /** The records of {@link #INPUT}: word and event time. */
  private static List<Word> input;

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();
  @Rule public final TestName testName = new TestName();

  /** A word and its event time (the Kafka record's CreateTime). */
  record Word(String word, long timestamp) {}

  @BeforeClass
  public static void startBrokerAndSeed() throws Exception {
    kafka = EmbeddedKafka.start();
    kafka.createTopics(PARTITIONS, INPUT);
    // Recent event times (the broker deletes records older than its 7-day retention), all in the
    // past, so that an idle partition's watermark (now - 1 s with withCreateTime) passes every
    // window once everything is read. Per partition, event times increase with the offset.
    long now = System.currentTimeMillis();
    base = new Instant(now - now % 60_000 - 10 * 60_000);
    List<Word> words = new ArrayList<>();
    for (int i = 0; i < RECORDS; i++) {
      words.add(new Word(word(i), base.getMillis() + i * 1_000L));
    }
    input = produce(INPUT, 0, words);
  }

  @AfterClass
  public static void stopBroker() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static String word(int i) {
    return WORDS[(i * 31 + i / 13) % WORDS.length];
  }

  /**
   * Writes {@code words} to {@code topic}, the i-th to partition {@code (first + i) % PARTITIONS}
   * with key {@code "k<first + i>"}; a negative timestamp means "now" (the producer's clock).
   *
   * @return the words with the CreateTime the broker stored
   */
  private static List<Word> produce(String topic, int first, List<Word> words) throws Exception {
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringSerializer(),
            new StringSerializer())) {
      for (int i = 0; i < words.size(); i++) {
        Word w = words.get(i);
        sent.add(
            producer.send(
                new ProducerRecord<>(
                    topic,
                    (first + i) % PARTITIONS,
                    w.timestamp() < 0 ? null : w.timestamp(),
                    "k" + (first + i),
                    w.word())));
      }
    }
    List<Word> stored = new ArrayList<>();
    for (int i = 0; i < words.size(); i++) {
      stored.add(new Word(words.get(i).word(), sent.get(i).get().timestamp()));
    }
    return stored;
  }

  /**
   * What the word count must write for {@code words} with event time before {@code end}: one
   * {@code "word|window-start count ON_TIME"} per word and window, sorted.
   */
  private static List<String> expectedCounts(List<Word> words, long windowMillis, Instant end) {
    Map<String, Long> counts = new TreeMap<>();
    for (Word w : words) {
      if (w.timestamp() < end.getMillis()) {
        long windowStart = w.timestamp() - Math.floorMod(w.timestamp(), windowMillis);
        counts.merge(w.word() + "|" + new Instant(windowStart), 1L, Long::sum);
      }
    }
    List<String> expected = new ArrayList<>();
    counts.forEach(
        (wordAndWindow, count) -> expected.add(wordAndWindow + " " + count + " ON_TIME"));
    expected.sort(null);
    return expected;
  }

  private static List<String> expectedCounts(List<Word> words, long windowMillis) {
    return expectedCounts(words, windowMillis, new Instant(Long.MAX_VALUE));
  }

  /** The expected output for all of {@link #INPUT} in one-minute windows. */
  private static List<String> allInputCounts() {
    return expectedCounts(input, 60_000);
  }

  /** The whole output topic as sorted {@code key|value} strings. */
  private static List<String> outputOf(String topic) {
    List<String> output = new ArrayList<>();
    for (ConsumerRecord<String, String> r :
        KafkaTopics.readCommitted(kafka.bootstrapServers(), topic)) {
      output.add(r.key() + "|" + r.value());
    }
    output.sort(null);
    return output;
  }

  private String newTopic(String prefix) throws Exception {
    return newTopic(prefix, "");
  }

  private String newTopic(String prefix, String suffix) throws Exception {
    String topic = prefix + "-" + testName.getMethodName() + suffix;
    kafka.createTopics(prefix.equals("counts") ? 2 : PARTITIONS, topic);
    return topic;
  }

  /** The word count's arguments: its own options, then the runner's. */
  private static String[] wordCountArgs(String in, String out, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--kafkaBootstrapServers=" + kafka.bootstrapServers(),
                "--inputTopic=" + in,
                "--outputTopic=" + out));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  private String[] onMicroBatch(String... more) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=MicroBatchRunner",
                "--parallelism=2",
                "--batchInterval=100ms",
                "--checkpointDir=" + tmp.newFolder()));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  /**
   * Runs an unbounded pipeline until the output topic holds {@code expected.size()} records, then
   * cancels it and checks that the whole topic is exactly {@code expected}.
   */
  private static PipelineResult runUntilOutputThenCancel(
      String[] args, String out, List<String> expected) throws Exception {
    long start = System.nanoTime();
    PipelineResult result = BeamKafkaWordCount.create(args).run();
    try {
      awaitRecords(result, out, expected.size());
    } finally {
      result.cancel();
    }
    PipelineResult.State state = result.waitUntilFinish(org.joda.time.Duration.standardSeconds(30));
    System.out.printf(
        "%s: %d counts after %d ms, then %s%n",
        out, expected.size(), (System.nanoTime() - start) / 1_000_000, state);
    assertEquals(PipelineResult.State.CANCELLED, state);
    assertEquals(expected, outputOf(out));
    return result;
  }

  /** The sum of KafkaIO's {@code source:elements_read} counters (Beam's {@code SourceMetrics}). */
  private static long sourceElementsRead(PipelineResult result) {
    long read = 0;
    for (MetricResult<Long> counter :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named("source", "elements_read"))
                    .build())
            .getCounters()) {
      read += counter.getAttempted();
    }
    return read;
  }

  /**
   * Polls {@code topic} until it has {@code count} records; fails at the deadline or if the run
   * ends first.
   */
  private static void awaitRecords(PipelineResult result, String topic, int count) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    int seen = 0;
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
            new StringDeserializer(),
            new StringDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer
          .partitionsFor(topic)
          .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (seen < count) {
        if (result.getState().isTerminal()) {
          result.waitUntilFinish(); // throws the failure's cause if the run failed
          fail("the pipeline ended (" + result.getState() + ") after " + seen + " of " + count
              + " outputs");
        }
        if (System.nanoTime() > deadline) {
          fail("only " + seen + " of " + count + " outputs in " + topic + " after " + TIMEOUT);
        }
        seen += consumer.poll(Duration.ofMillis(200)).count();
      }
    }
  }

  /** Default read path (legacy {@code UnboundedSource}), unbounded, on MicroBatchRunner. */
  @Test
  public void defaultReadOnMicroBatchRunner() throws Exception {
    String out = newTopic("counts");
    runUntilOutputThenCancel(wordCountArgs(INPUT, out, onMicroBatch()), out, allInputCounts());
  }

  /**
   * Default read path with {@code commitOffsetsInFinalize()}: the runner finalizes each epoch's
   * {@code KafkaCheckpointMark}, and KafkaIO commits the consumer group's offsets up to the end of
   * every partition.
   */
  @Test
  public void commitOffsetsInFinalizeOnMicroBatchRunner() throws Exception {
    String out = newTopic("counts");
    String group = "wordcount-" + testName.getMethodName();
    PipelineResult result =
        BeamKafkaWordCount.create(
                wordCountArgs(INPUT, out, onMicroBatch("--consumerGroup=" + group)))
            .run();
    Map<TopicPartition, Long> expectedOffsets = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      expectedOffsets.put(new TopicPartition(INPUT, p), (long) RECORDS / PARTITIONS);
    }
    Map<TopicPartition, Long> committed = new HashMap<>();
    try (Admin admin = kafka.admin()) {
      awaitRecords(result, out, allInputCounts().size());
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (!committed.equals(expectedOffsets) && System.nanoTime() < deadline) {
        // paces the loop, and throws if the run failed
        assertNull(result.waitUntilFinish(org.joda.time.Duration.millis(100)));
        committed.clear();
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get()
            .forEach((partition, offset) -> committed.put(partition, offset.offset()));
      }
    } finally {
      result.cancel();
    }
    assertEquals(
        PipelineResult.State.CANCELLED,
        result.waitUntilFinish(org.joda.time.Duration.standardSeconds(30)));
    assertEquals("committed offsets of " + group, expectedOffsets, committed);
    assertEquals(allInputCounts(), outputOf(out));
  }

  /**
   * Cancelling a run must close every {@code KafkaUnboundedReader}: a reader left open keeps its
   * consumer-poll thread, its (non-daemon) offset-fetcher thread and two Kafka consumers alive
   * forever. Four cancels at slightly different moments (about every second cancel left 2 of the 3
   * readers open before the executor cleared the interrupt flag for closing).
   */
  @Test
  public void cancelClosesEveryKafkaReaderOnMicroBatchRunner() throws Exception {
    for (int attempt = 0; attempt < 4; attempt++) {
      String out = newTopic("counts", "-" + attempt);
      Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
      PipelineResult result =
          BeamKafkaWordCount.create(wordCountArgs(INPUT, out, onMicroBatch())).run();
      try {
        awaitRecords(result, out, 1 + attempt * 5);
      } finally {
        result.cancel();
      }
      assertEquals(
          PipelineResult.State.CANCELLED,
          result.waitUntilFinish(org.joda.time.Duration.standardSeconds(30)));
      List<String> open = new ArrayList<>();
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        if (!before.contains(t) && t.getName().startsWith("KafkaConsumerPoll")) {
          t.join(10_000); // a closed reader's poll thread ends within one consumer poll
          if (t.isAlive()) {
            open.add(t.getName());
          }
        }
      }
      assertEquals("readers still polling after cancel #" + attempt, List.of(), open);
    }
  }

  /** The splittable {@code ReadFromKafkaDoFn}, unbounded, on MicroBatchRunner. */
  @Test
  public void sdfReadOnMicroBatchRunner() throws Exception {
    String out = newTopic("counts");
    runUntilOutputThenCancel(
        wordCountArgs(INPUT, out, onMicroBatch("--experiments=use_sdf_read")),
        out,
        allInputCounts());
  }

  /** {@code withMaxNumRecords}: Beam's bounded read of the legacy source; the run ends itself. */
  @Test
  public void maxNumRecordsReadOnMicroBatchRunner() throws Exception {
    String out = newTopic("counts");
    PipelineResult.State state =
        BeamKafkaWordCount.create(
                wordCountArgs(INPUT, out, onMicroBatch("--maxNumRecords=" + RECORDS)))
            .run()
            .waitUntilFinish();
    assertEquals(PipelineResult.State.DONE, state);
    assertEquals(allInputCounts(), outputOf(out));
  }

  /** {@code withStopReadTime}: the bounded splittable read; the run ends by itself. */
  @Test
  public void stopReadTimeReadOnMicroBatchRunner() throws Exception {
    String out = newTopic("counts");
    // in the middle of a window: that window's counts are partial
    Instant stop = base.plus(org.joda.time.Duration.standardSeconds(230));
    PipelineResult.State state =
        BeamKafkaWordCount.create(wordCountArgs(INPUT, out, onMicroBatch("--stopReadTime=" + stop)))
            .run()
            .waitUntilFinish();
    assertEquals(PipelineResult.State.DONE, state);
    assertEquals(expectedCounts(input, 60_000, stop), outputOf(out));
  }

  /**
   * The same pipeline and default read path on Beam's DirectRunner gives the same output (and
   * KafkaIO's reader reports the records it read in Beam's source metrics).
   */
  @Test
  public void defaultReadOnDirectRunner() throws Exception {
    String out = newTopic("counts");
    PipelineResult result =
        runUntilOutputThenCancel(
            wordCountArgs(INPUT, out, "--runner=DirectRunner", "--blockOnRun=false"),
            out,
            allInputCounts());
    assertEquals(RECORDS, sourceElementsRead(result));
  }

  /**
   * KafkaIO's {@code UnboundedReader} reports Beam's source metrics ({@code
   * source:elements_read}, {@code bytes_read}, backlog gauges, {@code KafkaIOReader:rawSize}) and
   * {@code lineage:sources}; on DirectRunner they are in {@code PipelineResult.metrics()}.
   */
  @Test
  public void defaultReadSourceMetricsOnMicroBatchRunner() throws Exception {
    String out = newTopic("counts");
    PipelineResult result =
        runUntilOutputThenCancel(wordCountArgs(INPUT, out, onMicroBatch()), out, allInputCounts());
    assertEquals(RECORDS, sourceElementsRead(result));
  }

  /**
   * Default read path, stopped and restarted on the same checkpoint directory: the second run
   * resumes from the {@code KafkaCheckpointMark}s and window state of the first, so it reads only
   * the records written since and no count is written twice. One-second windows over records
   * stamped when they are produced, so that the second batch is not late.
   */
  @Test
  public void defaultReadResumesFromCheckpointOnMicroBatchRunner() throws Exception {
    String in = newTopic("words");
    String out = newTopic("counts");
    String[] args = wordCountArgs(in, out, onMicroBatch("--windowSeconds=1"));
    List<Word> batch = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      batch.add(new Word(word(i), -1));
    }

    List<Word> first = produce(in, 0, batch);
    List<String> firstCounts = expectedCounts(first, 1_000);
    MicroBatchPipelineResult run1 =
        (MicroBatchPipelineResult) BeamKafkaWordCount.create(args).run();
    try {
      awaitRecords(run1, out, firstCounts.size());
      awaitNextCommit(run1);
    } finally {
      run1.cancel();
    }
    assertEquals(
        PipelineResult.State.CANCELLED,
        run1.waitUntilFinish(org.joda.time.Duration.standardSeconds(30)));
    assertEquals(firstCounts, outputOf(out));

    List<Word> all = new ArrayList<>(first);
    all.addAll(produce(in, 100, batch));
    MicroBatchPipelineResult run2 =
        (MicroBatchPipelineResult) BeamKafkaWordCount.create(args).run();
    try {
      awaitRecords(run2, out, expectedCounts(all, 1_000).size());
    } finally {
      run2.cancel();
    }
    assertEquals(
        PipelineResult.State.CANCELLED,
        run2.waitUntilFinish(org.joda.time.Duration.standardSeconds(30)));
    assertEquals(expectedCounts(all, 1_000), outputOf(out));
    long readByRun2 = run2.recentProgress().stream().mapToLong(EpochProgress::inputRows).sum();
    assertEquals("records read by the restarted run", 100, readByRun2);
    assertTrue(
        "the restarted run continues the epoch numbers",
        run2.recentProgress().get(0).epoch() > run1.lastProgress().epoch());
  }

  /**
   * Waits until {@code result} has committed an epoch after the one running now, so that
   * everything already written to Kafka belongs to committed epochs and a restart replays none of
   * it. KafkaIO.write is at-least-once: output of an epoch that is replayed is written again.
   */
  private static void awaitNextCommit(MicroBatchPipelineResult result) {
    EpochProgress now = result.lastProgress();
    long next = now == null ? 0 : now.epoch() + 1;
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (result.lastProgress() == null || result.lastProgress().epoch() < next) {
      if (System.nanoTime() > deadline) {
        fail("no epoch committed after epoch " + (next - 1) + " in " + TIMEOUT);
      }
      if (result.waitUntilFinish(org.joda.time.Duration.millis(50)) != null) {
        fail("the run ended (" + result.getState() + ") before committing epoch " + next);
      }
    }
  }
}
