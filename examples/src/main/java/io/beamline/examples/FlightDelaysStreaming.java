package io.beamline.examples;

import io.beamline.io.kafka.KafkaIO;
import io.beamline.io.kafka.KafkaRecord;
import io.beamline.runners.microbatch.MicroBatchRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Exit;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The flight-delay analytics as a streaming job through Kafka, on {@code MicroBatchRunner} (or,
 * with {@code --runner=RealtimeRunner}, on RealtimeRunner): the README's main job.
 *
 * <p>A replayer thread writes the bundled BTS flights into an input topic in departure-time order,
 * at {@code --speedup} seconds of departure time per second, with a few flights deliberately late
 * and a few malformed records ({@link FlightReplay}). The pipeline ({@link #build}) reads the topic
 * with Beamline's {@code KafkaIO} — event time is the departure parsed from the record, the
 * watermark trails the latest departure read by {@code --maxOutOfOrdernessMinutes}, records that
 * are not valid flights go to the dead-letter topic — applies the same {@link
 * FlightDelayAnalytics} as the batch job {@link FlightDelays}, and writes every window result, the
 * same JSON line the batch job writes, to an output topic exactly once. With no {@code
 * --bootstrapServers} the job starts an embedded Kafka broker in its own process.
 *
 * <p>The job prints a line per epoch and ends by itself once every window has been written; Ctrl-C
 * stops it cleanly, and running it again resumes from its checkpoint. See {@link StreamingJob} and
 * the module README.
 */
public final class FlightDelaysStreaming {

  /** The checkpoint directory unless {@code --checkpointDir} is given, relative to the cwd. */
  public static final String DEFAULT_CHECKPOINT_DIR = "beamline-checkpoints/flights-streaming";

  private FlightDelaysStreaming() {}

  /**
   * Runs the job and prints its progress and summary; exits with 0 when every window was written,
   * 1 on an error. Stopped by Ctrl-C (or SIGTERM), it prints what it did and exits.
   */
  public static void main(String[] args) throws InterruptedException {
    FlightDelaysStreamingOptions options;
    try {
      options = options(args);
    } catch (Launcher.UsageError e) {
      e.print(System.err);
      System.exit(Launcher.USAGE);
      return;
    }
    // Kafka's test kit deletes the embedded broker's directory in a JVM shutdown hook, which on
    // Ctrl-C would run while the job still reads its summary from the broker: defer such hooks
    // until the job has stopped.
    DeferredHooks kafkaHooks = new DeferredHooks();
    Exit.setShutdownHookAdder(kafkaHooks);
    StreamingJob job = new StreamingJob(options, System.out);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  job.stopAndAwait(java.time.Duration.ofSeconds(30));
                  kafkaHooks.run();
                },
                "ctrl-c"));
    int status;
    try {
      StreamingSummary summary = job.run();
      status = summary.complete() ? 0 : 130;
    } catch (Exception e) {
      System.err.println("flights streaming job failed: " + describe(e));
      status = 1;
    }
    if (job.stopRequested()) {
      return; // the JVM is shutting down: the hook is waiting for this thread to finish
    }
    kafkaHooks.run();
    System.exit(status);
  }

  /**
   * The job's options from its command line, every one checked before the job does anything: a
   * mistake is a {@link Launcher.UsageError} (one line and a hint), found before a checkpoint is
   * deleted ({@code --fresh}) or a broker started.
   */
  static FlightDelaysStreamingOptions options(String[] args)
      throws Launcher.UsageError, InterruptedException {
    FlightDelaysStreamingOptions options =
        Launcher.parse(
            args,
            FlightDelaysStreamingOptions.class,
            MicroBatchRunner.class,
            "flights",
            FlightDelaysStreaming.class);
    Launcher.checkInput(options.getInput());
    try {
      StreamingJob.check(options);
    } catch (IllegalArgumentException e) {
      throw new Launcher.UsageError(
          e.getMessage(), "./beamline flights --help=FlightDelaysStreamingOptions lists the options");
    }
    String bootstrap = options.getBootstrapServers();
    if (bootstrap != null
        && !JobTopics.reachable(bootstrap, java.time.Duration.ofSeconds(BOOTSTRAP_TIMEOUT_SECONDS))) {
      throw new Launcher.UsageError(
          "no Kafka broker answered at --bootstrapServers=" + bootstrap + " within "
              + BOOTSTRAP_TIMEOUT_SECONDS + " s",
          "is the broker running and is that its address (host:port of a listener)? Leave"
              + " --bootstrapServers out to run on the job's embedded broker");
    }
    return options;
  }

  /** How long the job waits for an external broker to answer before it gives up. */
  static final int BOOTSTRAP_TIMEOUT_SECONDS = 8;

  /** Shutdown hooks Kafka's code registers, run once, when the job says so. */
  private static final class DeferredHooks implements Exit.ShutdownHookAdder {
    private final List<Runnable> hooks = new ArrayList<>();

    @Override
    public synchronized void addShutdownHook(String name, Runnable runnable) {
      hooks.add(runnable);
    }

    synchronized void run() {
      for (Runnable hook : hooks) {
        try {
          hook.run();
        } catch (RuntimeException e) {
          // best effort: temporary directories
        }
      }
      hooks.clear();
    }
  }

  private static String describe(Throwable e) {
    StringBuilder s = new StringBuilder(String.valueOf(e));
    for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      s.append(System.lineSeparator()).append("  caused by: ").append(c);
    }
    return s.toString();
  }

  /**
   * Adds the job's pipeline to {@code pipeline}: Kafka in, {@link FlightDelayAnalytics}, Kafka
   * out. The topics must exist.
   *
   * <ul>
   *   <li>{@code ReadFlights}: {@code KafkaIO.read()} of {@code --inputTopic}, values checked by
   *       {@link FlightRowDeserializer} (rejected records go to {@code --deadLetterTopic}), event
   *       time from {@link DepartureTime}, watermark {@code --maxOutOfOrdernessMinutes} behind;
   *   <li>the end-of-replay markers are dropped, the values go through the analytics;
   *   <li>{@code WriteResults}: every hourly and daily result as one record, key {@value
   *       FlightDelays#HOURLY_DIR} or {@value FlightDelays#DAILY_TOP_DIR}, value the JSON line,
   *       written to {@code --outputTopic} with {@code KafkaIO.write()} (exactly-once: one Kafka
   *       transaction per epoch and shard; on RealtimeRunner per checkpoint and shard);
   *   <li>with {@code --warehouse}, the same results into the Iceberg tables of {@link
   *       LakehouseOutput} (one commit per table per epoch).
   * </ul>
   *
   * <p>The analytics' own dead-letter output is not written: it is always empty here, since the
   * deserializer already rejected every row the analytics' parser would reject.
   *
   * @return {@code pipeline}, for chaining
   */
  public static Pipeline build(
      Pipeline pipeline, FlightDelaysStreamingOptions options, String bootstrapServers) {
    Duration maxOutOfOrderness = Duration.standardMinutes(options.getMaxOutOfOrdernessMinutes());
    KafkaIO.Read<String, String> read =
        KafkaIO.<String, String>read()
            .withBootstrapServers(bootstrapServers)
            .withTopic(options.getInputTopic())
            .withKeyDeserializer(StringDeserializer.class)
            .withValueDeserializerAndCoder(FlightRowDeserializer.class, StringUtf8Coder.of())
            .withTimestampFn(new DepartureTime(maxOutOfOrderness.getMillis()))
            .withMaxOutOfOrderness(maxOutOfOrderness)
            .withDeadLetterTopic(options.getDeadLetterTopic())
            // a checkpointed position that is not in the topic is an error, not a
            // silent restart from the beginning
            .withConsumerConfig(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"));
    PCollection<String> rows =
        pipeline
            .apply("ReadFlights", read)
            .apply("DropEndOfReplayMarkers", Filter.by(new IsFlight()))
            .apply("Values", MapElements.via(new Value()));
    PCollectionTuple results =
        rows.apply(
            "FlightDelayAnalytics",
            FlightDelayAnalytics.withMinDailyFlights(options.getMinDailyFlights()));
    KvCoder<String, String> kvCoder = KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());
    PCollection<KV<String, String>> hourly =
        results
            .get(FlightDelayAnalytics.HOURLY_BY_ORIGIN)
            .apply("KeyHourly", WithKeys.of(FlightDelays.HOURLY_DIR))
            .setCoder(kvCoder);
    PCollection<KV<String, String>> dailyTop =
        results
            .get(FlightDelayAnalytics.DAILY_TOP)
            .apply("KeyDailyTop", WithKeys.of(FlightDelays.DAILY_TOP_DIR))
            .setCoder(kvCoder);
    if (options.getWarehouse() != null) {
      LakehouseOutput.write(results, options.getWarehouse(), LakehouseOutput.STREAMING);
    }
    KafkaIO.Write<String, String> write =
        KafkaIO.<String, String>write()
            .withBootstrapServers(bootstrapServers)
            .withTopic(options.getOutputTopic())
            .withKeySerializer(StringSerializer.class)
            .withValueSerializer(StringSerializer.class);
    PCollectionList.of(hourly)
        .and(dailyTop)
        .apply("AllResults", Flatten.pCollections())
        .apply("WriteResults", write);
    return pipeline;
  }

  /**
   * Event time of an input record: the departure parsed from a flight; for an end-of-replay
   * marker, its time plus the allowed out-of-orderness, so that the watermark of its partition
   * reaches exactly the marker's time; the minimum timestamp (which moves no watermark) for
   * anything else.
   */
  static final class DepartureTime
      implements SerializableFunction<KafkaRecord<String, String>, Instant> {
    private final long maxOutOfOrdernessMillis;

    DepartureTime(long maxOutOfOrdernessMillis) {
      this.maxOutOfOrdernessMillis = maxOutOfOrdernessMillis;
    }

    @Override
    public Instant apply(KafkaRecord<String, String> record) {
      String value = record.value();
      if (value == null) {
        return BoundedWindow.TIMESTAMP_MIN_VALUE;
      }
      if (FlightReplay.END_KEY.equals(record.key())) {
        try {
          return new Instant(
              FlightReplay.completeTimeOf(value).toEpochMilli() + maxOutOfOrdernessMillis);
        } catch (IllegalArgumentException e) {
          return BoundedWindow.TIMESTAMP_MIN_VALUE;
        }
      }
      try {
        return ParseFlightFn.parse(value).departure();
      } catch (ParseFlightFn.MalformedRowException e) {
        return BoundedWindow.TIMESTAMP_MIN_VALUE;
      }
    }
  }

  /** Keeps flights; drops end-of-replay markers and records without a value. */
  static final class IsFlight implements SerializableFunction<KafkaRecord<String, String>, Boolean> {
    @Override
    public Boolean apply(KafkaRecord<String, String> record) {
      return record.value() != null && !FlightReplay.END_KEY.equals(record.key());
    }
  }

  /** The record's value: the flight's JSON text. */
  static final class Value extends SimpleFunction<KafkaRecord<String, String>, String> {
    @Override
    public String apply(KafkaRecord<String, String> record) {
      return record.value();
    }
  }
}
