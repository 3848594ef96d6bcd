package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.io.lakehouse.IcebergIO;
import io.beamline.runners.microbatch.MicroBatchPipelineOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericAppenderFactory;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;
import org.joda.time.Instant;

/**
 * Child JVM of {@link LakehouseBenchmarks}: one measurement, one JSON line on stdout.
 *
 * <ul>
 *   <li>{@code --case=pipeline}: {@code --records} rows from a {@link FiniteUnboundedSource} ({@code --rate}
 *       rows/s, 0 = as fast as possible) mapped to flight-like {@link #SCHEMA} rows, on MicroBatchRunner with a
 *       disk checkpoint, {@code --parallelism}, {@code --interval}, {@code --maxRecordsPerBatch}, into {@code
 *       --sink=iceberg} ({@code IcebergIO.write()}, embedded catalog under {@code --dir}) or {@code --sink=discard}
 *       (a ParDo that drops rows: the same pipeline without a sink). Reports wall time, rows/s and the epoch
 *       statistics of {@code progress.jsonl} including {@code sinkCommit}; {@code epochsWithRows} leaves out
 *       the first {@code --skip-epochs} epochs with rows (class loading, catalog and table creation).
 *   <li>{@code --case=floor}: the same rows written by one thread straight through Iceberg's own {@code
 *       GenericAppenderFactory} into Parquet files of {@code --rows-per-file} and appended in one commit: the
 *       single-core rate of Iceberg's writer with no pipeline around it.
 * </ul>
 */
public final class LakehouseWorker {
  static final Schema SCHEMA =
      Schema.builder()
          .addInt64Field("id")
          .addStringField("origin")
          .addStringField("dest")
          .addDateTimeField("departure")
          .addNullableField("delay", Schema.FieldType.DOUBLE)
          .addInt32Field("distance")
          .build();

  private static final String[] AIRPORTS = {"JFK", "SFO", "ORD", "ATL", "LAX", "DEN", "SEA", "BOS"};

  static Row row(long id) {
    return Row.withSchema(SCHEMA)
        .addValues(id, AIRPORTS[(int) (id % 8)], AIRPORTS[(int) ((id / 8) % 8)], new Instant(id * 1000),
            id % 13 == 0 ? null : (id % 120) - 20.0, (int) (200 + id % 2500))
        .build();
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = Args.parse(args);
    ObjectNode out = switch (opts.getOrDefault("case", "pipeline")) {
      case "floor" -> floor(opts);
      default -> pipeline(opts);
    };
    out.put("type", "lakehouse");
    System.out.println(out);
  }

  private static ObjectNode pipeline(Map<String, String> opts) throws Exception {
    long records = Long.parseLong(opts.getOrDefault("records", "1000000"));
    double rate = Double.parseDouble(opts.getOrDefault("rate", "0"));
    int parallelism = Args.intValue(opts, "parallelism", 2);
    String sink = opts.getOrDefault("sink", "iceberg");
    Path dir = Path.of(Args.require(opts, "dir"));
    Path checkpoint = dir.resolve("checkpoint");
    MicroBatchPipelineOptions options = PipelineOptionsFactory.fromArgs(
            "--runner=MicroBatchRunner", "--parallelism=" + parallelism, "--checkpointDir=" + checkpoint,
            "--batchInterval=" + opts.getOrDefault("interval", "1s"),
            "--maxRecordsPerBatch=" + opts.getOrDefault("maxRecordsPerBatch", "100000"))
        .as(MicroBatchPipelineOptions.class);
    Pipeline p = Pipeline.create(options);
    PCollection<Row> rows = p.apply(Read.from(new FiniteUnboundedSource(records, rate, rate > 0 ? 1 : parallelism)))
        .apply(MapElements.into(TypeDescriptors.rows()).via(LakehouseWorker::row))
        .setRowSchema(SCHEMA);
    if (sink.equals("iceberg")) {
      rows.apply(IcebergIO.<Row>write().withWarehouse(dir.resolve("warehouse").toString())
          .withTable("bench.flights"));
    } else {
      rows.apply(ParDo.of(new DiscardFn()));
    }
    long start = System.nanoTime();
    PipelineResult result = p.run();
    result.waitUntilFinish();
    double seconds = (System.nanoTime() - start) / 1e9;
    List<JsonNode> epochs = EpochStats.readProgressFile(checkpoint.resolve("progress.jsonl"));
    // the first epochs with rows load classes, open the catalog and create the table: skipped
    int skip = Args.intValue(opts, "skip-epochs", 0);
    List<JsonNode> withRows = new ArrayList<>();
    int seen = 0;
    for (JsonNode e : epochs) {
      if (e.path("inputRows").asLong() > 0 && seen++ >= skip) {
        withRows.add(e);
      }
    }
    ObjectNode out = BenchmarkWorker.JSON.createObjectNode();
    out.put("case", "pipeline");
    out.put("sink", sink);
    out.put("parallelism", parallelism);
    out.put("records", records);
    out.put("seconds", seconds);
    out.put("rowsPerSecond", records / seconds);
    out.set("epochs", EpochStats.of(epochs, EpochStats.PHASES_WITH_SINK).toJson());
    out.set("epochsWithRows", EpochStats.of(withRows, EpochStats.PHASES_WITH_SINK).toJson());
    if (sink.equals("iceberg")) {
      var catalog = io.beamline.io.lakehouse.internal.CatalogSpec.embedded(dir.resolve("warehouse").toString());
      Table t = catalog.catalog().loadTable(TableIdentifier.parse("bench.flights"));
      out.put("tableRows", Long.parseLong(t.currentSnapshot().summary().get("total-records")));
      int snapshots = 0;
      for (var s : t.snapshots()) {
        snapshots++;
      }
      out.put("snapshots", snapshots);
      out.put("dataFiles", Long.parseLong(t.currentSnapshot().summary().get("total-data-files")));
    }
    return out;
  }

  /** Drops every row: the pipeline without a sink. */
  static final class DiscardFn extends DoFn<Row, Void> {
    @ProcessElement
    public void process(@Element Row r) {}
  }

  private static ObjectNode floor(Map<String, String> opts) throws Exception {
    long records = Long.parseLong(opts.getOrDefault("records", "1000000"));
    long perFile = Long.parseLong(opts.getOrDefault("rows-per-file", "100000"));
    Path dir = Path.of(Args.require(opts, "dir"));
    Files.createDirectories(dir);
    var catalog = io.beamline.io.lakehouse.internal.CatalogSpec.embedded(dir.resolve("warehouse").toString());
    var schema = io.beamline.io.lakehouse.internal.SchemaMapping.toIceberg(SCHEMA);
    catalog.ensureNamespace(TableIdentifier.parse("bench.floor"));
    Table table = catalog.catalog().createTable(TableIdentifier.parse("bench.floor"), schema,
        PartitionSpec.unpartitioned());
    long start = System.nanoTime();
    GenericAppenderFactory appenders = new GenericAppenderFactory(table.schema(), table.spec());
    appenders.setAll(table.properties());
    OutputFileFactory files = OutputFileFactory.builderFor(table, 0, 0).format(FileFormat.PARQUET).build();
    var append = table.newAppend();
    DataWriter<Record> writer = null;
    for (long id = 0; id < records; id++) {
      if (writer == null) {
        writer = appenders.newDataWriter(files.newOutputFile(), FileFormat.PARQUET, null);
      }
      // the same conversion the sink does: Beam row -> Iceberg record
      writer.write(io.beamline.io.lakehouse.internal.RowConversion.toRecord(row(id), table.schema()));
      if ((id + 1) % perFile == 0) {
        writer.close();
        append.appendFile(writer.toDataFile());
        writer = null;
      }
    }
    if (writer != null) {
      writer.close();
      append.appendFile(writer.toDataFile());
    }
    append.commit();
    double seconds = (System.nanoTime() - start) / 1e9;
    ObjectNode out = BenchmarkWorker.JSON.createObjectNode();
    out.put("case", "floor");
    out.put("records", records);
    out.put("seconds", seconds);
    out.put("rowsPerSecond", records / seconds);
    return out;
  }

  private LakehouseWorker() {}
}
