package io.beamline.io.kafka;

import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * A windowed word count from one Kafka topic to another, written with Beam's own {@link
 * org.apache.beam.sdk.io.kafka.KafkaIO} exactly as for DirectRunner or FlinkRunner: nothing in it
 * refers to Beamline. The runner is whatever {@code --runner} says.
 *
 * <p>Input: records whose value is a word and whose Kafka {@code CreateTime} is the event time.
 * Output: one record per word and window (one minute unless {@code --windowSeconds} says
 * otherwise), key the word, value {@code "<window start> <count> <pane timing>"}.
 */
public final class BeamKafkaWordCount {
  private BeamKafkaWordCount() {}

  /** The pipeline's own options. */
  public interface Options extends PipelineOptions {
    @Description("Kafka bootstrap servers")
    @Validation.Required
    String getKafkaBootstrapServers();

    void setKafkaBootstrapServers(String value);

    @Description("Topic of words")
    @Validation.Required
    String getInputTopic();

    void setInputTopic(String value);

    @Description("Topic of counts")
    @Validation.Required
    String getOutputTopic();

    void setOutputTopic(String value);

    @Description("If set, read at most this many records (KafkaIO.Read#withMaxNumRecords)")
    @Default.Long(Long.MAX_VALUE)
    Long getMaxNumRecords();

    void setMaxNumRecords(Long value);

    @Description("If set, an ISO instant: read up to it (KafkaIO.Read#withStopReadTime)")
    String getStopReadTime();

    void setStopReadTime(String value);

    @Description(
        "If set, the consumer group whose offsets KafkaIO commits as epochs/checkpoints are"
            + " finalized (KafkaIO.Read#commitOffsetsInFinalize)")
    String getConsumerGroup();

    void setConsumerGroup(String value);

    @Description("Length of the fixed event-time windows counted in, in seconds")
    @Default.Integer(60)
    Integer getWindowSeconds();

    void setWindowSeconds(Integer value);
  }

  /** Formats a count with its window and pane. */
  static class FormatCount extends DoFn<KV<String, Long>, KV<String, String>> {
    @ProcessElement
    public void process(
        @Element KV<String, Long> count,
        IntervalWindow window,
        PaneInfo pane,
        OutputReceiver<KV<String, String>> out) {
      out.output(
          KV.of(count.getKey(), window.start() + " " + count.getValue() + " " + pane.getTiming()));
    }
  }

  /** Builds the pipeline from command-line arguments. */
  public static Pipeline create(String... args) {
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    Pipeline p = Pipeline.create(options);

    KafkaIO.Read<String, String> read =
        KafkaIO.<String, String>read()
            .withBootstrapServers(options.getKafkaBootstrapServers())
            .withTopic(options.getInputTopic())
            .withKeyDeserializer(StringDeserializer.class)
            .withValueDeserializer(StringDeserializer.class)
            .withConsumerConfigUpdates(
                Map.<String, Object>of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"))
            .withCreateTime(Duration.standardSeconds(1));
    if (options.getConsumerGroup() != null) {
      read =
          read.withConsumerConfigUpdates(
                  Map.<String, Object>of(
                      ConsumerConfig.GROUP_ID_CONFIG, options.getConsumerGroup()))
              .commitOffsetsInFinalize();
    }
    if (options.getMaxNumRecords() != Long.MAX_VALUE) {
      read = read.withMaxNumRecords(options.getMaxNumRecords());
    }
    if (options.getStopReadTime() != null) {
      read = read.withStopReadTime(Instant.parse(options.getStopReadTime()));
    }

    p.apply("ReadWords", read.withoutMetadata())
        .apply(Values.create())
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(options.getWindowSeconds()))))
        .apply(Count.perElement())
        .apply(ParDo.of(new FormatCount()))
        .apply(
            "WriteCounts",
            KafkaIO.<String, String>write()
                .withBootstrapServers(options.getKafkaBootstrapServers())
                .withTopic(options.getOutputTopic())
                .withKeySerializer(StringSerializer.class)
                .withValueSerializer(StringSerializer.class));
    return p;
  }

  public static void main(String[] args) {
    create(args).run().waitUntilFinish();
  }
}
