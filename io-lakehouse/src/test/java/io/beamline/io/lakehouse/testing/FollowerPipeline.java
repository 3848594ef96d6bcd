package io.beamline.io.lakehouse.testing;

import io.beamline.io.lakehouse.IcebergIO;
import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Duration;

/**
 * The job {@code IncrementalReadCrashIT} kills: follows the appends of table {@code src.events}
 * with {@code IcebergIO.read().streaming()} and writes each row, with the snapshot's commit time
 * as {@code seen_at}, into {@code dst.events} with {@code IcebergIO.write()}: Iceberg → pipeline →
 * Iceberg, exactly once through the offset log and the sink's epoch markers.
 */
public final class FollowerPipeline {
  public static final String SOURCE = "src.events";
  public static final String TARGET = "dst.events";

  /** The job's options. */
  public interface Options extends MicroBatchPipelineOptions {
    @Description("Warehouse directory of the embedded catalog")
    @Validation.Required
    String getWarehouse();

    void setWarehouse(String value);
  }

  public static void main(String[] args) {
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    Pipeline p = Pipeline.create(options);
    var rows = p.apply("Follow", IcebergIO.read().withWarehouse(options.getWarehouse())
        .withTable(SOURCE).streaming().withPollInterval(Duration.millis(100)));
    Schema out = Schema.builder().addFields(rows.getSchema().getFields())
        .addDateTimeField("seen_at").build();
    rows.apply("AddSeenAt", org.apache.beam.sdk.transforms.ParDo.of(new StampFn(out)))
        .setRowSchema(out)
        .apply("Write", IcebergIO.<Row>write().withWarehouse(options.getWarehouse())
            .withTable(TARGET).withSinkId("follower").withoutUpkeep());
    p.run().waitUntilFinish();
    System.out.println("FOLLOWER DONE");
  }

  /** Adds the element's timestamp (its snapshot's commit time) as {@code seen_at}. */
  static final class StampFn extends org.apache.beam.sdk.transforms.DoFn<Row, Row> {
    private final Schema out;

    StampFn(Schema out) {
      this.out = out;
    }

    @ProcessElement
    public void process(@Element Row r, @Timestamp org.joda.time.Instant ts, OutputReceiver<Row> o) {
      o.output(Row.withSchema(out).addValues(r.getValues()).addValue(ts).build());
    }
  }

  private FollowerPipeline() {}
}
