package io.beamline.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamline.io.lakehouse.IcebergIO;
import io.beamline.io.lakehouse.IcebergTableTool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.joda.time.Instant;

/**
 * The flight jobs' lakehouse: {@link FlightDelayAnalytics}' hourly statistics and daily top-10 as
 * Iceberg tables {@code <namespace>.hourly_stats} (partitioned by month) and {@code
 * <namespace>.daily_top10} in an embedded warehouse, written with {@code IcebergIO.write()} (one
 * commit per table per epoch in the streaming job, one per table in the batch job). Read them with
 * {@code ./beamline table show <namespace>.hourly_stats}.
 */
public final class LakehouseOutput {
  /** Namespace of the streaming job's tables. */
  public static final String STREAMING = "flights";

  /** Namespace of the batch job's tables. */
  public static final String BATCH = "flights_batch";

  /** The default warehouse, next to the streaming job's default checkpoint. */
  public static final String DEFAULT_WAREHOUSE = "beamline-checkpoints/warehouse";

  static final Schema HOURLY =
      Schema.builder()
          .addStringField("origin")
          .addDateTimeField("window_start")
          .addDateTimeField("window_end")
          .addInt64Field("flights")
          .addDoubleField("mean_delay_min")
          .addInt64Field("p90_delay_min")
          .addDoubleField("delayed_over15_share")
          .build();

  static final Schema DAILY_TOP =
      Schema.builder()
          .addLogicalTypeField("day", SqlTypes.DATE)
          .addInt32Field("rank")
          .addFields(HOURLY.getFields())
          .build();

  private static final ObjectMapper JSON = new ObjectMapper();

  private LakehouseOutput() {}

  public static String hourlyTable(String namespace) {
    return namespace + ".hourly_stats";
  }

  public static String dailyTopTable(String namespace) {
    return namespace + ".daily_top10";
  }

  /** Adds the two table sinks for the analytics' results to their pipeline. */
  public static void write(PCollectionTuple results, String warehouse, String namespace) {
    rows(results.get(FlightDelayAnalytics.HOURLY_BY_ORIGIN), HOURLY, "HourlyRows")
        .apply("LakehouseHourly", IcebergIO.<Row>write().withWarehouse(warehouse)
            .withTable(hourlyTable(namespace)).withPartitionFields("month(window_start)")
            .withSinkId("hourly-stats"));
    rows(results.get(FlightDelayAnalytics.DAILY_TOP), DAILY_TOP, "DailyTopRows")
        .apply("LakehouseDailyTop", IcebergIO.<Row>write().withWarehouse(warehouse)
            .withTable(dailyTopTable(namespace)).withSinkId("daily-top10"));
  }

  private static PCollection<Row> rows(PCollection<String> lines, Schema schema, String name) {
    return lines.apply(name, MapElements.via(new ToRow(schema))).setRowSchema(schema);
  }

  /** A result line (JSON, see the module README) as a row of {@code schema}. */
  static final class ToRow extends SimpleFunction<String, Row> {
    private final Schema schema;

    ToRow(Schema schema) {
      this.schema = schema;
    }

    @Override
    public Row apply(String line) {
      JsonNode j;
      try {
        j = JSON.readTree(line);
      } catch (IOException e) {
        throw new UncheckedIOException("not a result line: " + line, e);
      }
      Row.Builder b = Row.withSchema(schema);
      if (schema.hasField("day")) {
        b.addValues(LocalDate.parse(j.get("day").asText()), j.get("rank").asInt());
      }
      return b.addValues(
              j.get("origin").asText(),
              Instant.parse(j.get("windowStart").asText()),
              Instant.parse(j.get("windowEnd").asText()),
              j.get("flights").asLong(),
              j.get("meanDelayMin").asDouble(),
              j.get("p90DelayMin").asLong(),
              j.get("delayedOver15Share").asDouble())
          .build();
    }
  }

  /**
   * Drops the namespace's tables and their files (the batch job replaces its tables each run; the
   * streaming job's {@code --fresh} starts them over); returns the tables dropped.
   */
  public static List<String> dropTables(String warehouse, String namespace) {
    List<String> dropped = new ArrayList<>();
    if (!Files.exists(Path.of(warehouse).resolve("catalog.db"))) {
      return dropped;
    }
    Catalog catalog = openCatalog(warehouse);
    try {
      for (String name : List.of(hourlyTable(namespace), dailyTopTable(namespace))) {
        if (catalog.dropTable(TableIdentifier.parse(name), true)) {
          dropped.add(name);
        }
      }
    } finally {
      close(catalog);
    }
    return dropped;
  }

  /** One line per table of the namespace: snapshots, rows, location; "" if there are none. */
  public static String describe(String warehouse, String namespace) {
    if (!Files.exists(Path.of(warehouse).resolve("catalog.db"))) {
      return "";
    }
    Catalog catalog = openCatalog(warehouse);
    try {
      List<String> lines = new ArrayList<>();
      lines.add("Lakehouse " + Path.of(warehouse).toAbsolutePath().normalize() + ":");
      for (String name : List.of(hourlyTable(namespace), dailyTopTable(namespace))) {
        TableIdentifier id = TableIdentifier.parse(name);
        if (catalog.tableExists(id)) {
          lines.add(String.format("  %-26s %s", name, IcebergTableTool.summary(catalog.loadTable(id))));
        }
      }
      lines.add("  query them: ./beamline table show " + hourlyTable(namespace)
          + (Path.of(warehouse).toAbsolutePath().normalize()
              .equals(Path.of(DEFAULT_WAREHOUSE).toAbsolutePath().normalize())
              ? "" : " --warehouse=" + warehouse));
      return String.join(System.lineSeparator(), lines);
    } finally {
      close(catalog);
    }
  }

  private static Catalog openCatalog(String warehouse) {
    return IcebergIO.openWarehouse(warehouse);
  }

  private static void close(Catalog catalog) {
    try {
      ((java.io.Closeable) catalog).close();
    } catch (IOException e) {
      // closing a connection pool
    }
  }
}
