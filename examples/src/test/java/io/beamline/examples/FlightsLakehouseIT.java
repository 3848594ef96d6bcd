package io.beamline.examples;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.beamline.io.lakehouse.IcebergIO;
import java.io.Closeable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The lakehouse the flight job writes: the batch job on MicroBatchRunner writes {@code
 * flights_batch.hourly_stats}; its rows, read back with Iceberg's generic reader and with icebird
 * 0.3.1 under Node (a JavaScript Iceberg reader that shares no code with Iceberg's Java library;
 * the read script is io-lakehouse's {@code icebird-read.mjs}), equal the job's hourly JSON lines,
 * one row per line.
 */
public class FlightsLakehouseIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static String line(String origin, long startMillis, long flights, double mean, long p90, double share) {
    return String.format(Locale.ROOT, "%s|%d|%d|%.4f|%d|%.4f", origin, startMillis, flights, mean, p90, share);
  }

  private static void count(Map<String, Integer> m, String line) {
    m.merge(line, 1, Integer::sum);
  }

  @Test
  public void hourlyTableHoldsTheJobsLinesForIcebergGenericsAndIcebird() throws Exception {
    Path warehouse = tmp.getRoot().toPath().resolve("warehouse");
    Path output = tmp.newFolder("out").toPath();
    FlightDelaysOptions options = PipelineOptionsFactory.fromArgs(
        "--runner=MicroBatchRunner", "--output=" + output, "--warehouse=" + warehouse)
        .as(FlightDelaysOptions.class);
    FlightDelays.run(options);

    Map<String, Integer> expected = new TreeMap<>();
    for (String l : JobSummary.readOutputLines(output.resolve(FlightDelays.HOURLY_DIR))) {
      JsonNode j = JSON.readTree(l);
      count(expected, line(j.get("origin").asText(), org.joda.time.Instant.parse(j.get("windowStart").asText()).getMillis(),
          j.get("flights").asLong(), j.get("meanDelayMin").asDouble(), j.get("p90DelayMin").asLong(),
          j.get("delayedOver15Share").asDouble()));
    }
    assertEquals(17_473, expected.values().stream().mapToInt(Integer::intValue).sum());

    Catalog catalog = IcebergIO.openWarehouse(warehouse.toString());
    try {
      Table table = catalog.loadTable(TableIdentifier.parse(LakehouseOutput.hourlyTable(LakehouseOutput.BATCH)));
      Map<String, Integer> generics = new TreeMap<>();
      try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
        for (Record r : records) {
          count(generics, line((String) r.getField("origin"),
              ((java.time.OffsetDateTime) r.getField("window_start")).toInstant().toEpochMilli(),
              (Long) r.getField("flights"), (Double) r.getField("mean_delay_min"),
              (Long) r.getField("p90_delay_min"), (Double) r.getField("delayed_over15_share")));
        }
      }
      assertEquals("IcebergGenerics", expected, generics);

      Map<String, Integer> icebird = new TreeMap<>();
      String metadata = Path.of(((HasTableOperations) table).operations().current().metadataFileLocation())
          .getFileName().toString();
      for (String l : icebird(table.location(), metadata).split("\n")) {
        if (l.isBlank()) {
          continue;
        }
        JsonNode j = JSON.readTree(l);
        count(icebird, line(j.get("origin").asText(), j.get("window_start").get("millis").asLong(),
            Long.parseLong(j.get("flights").asText()), j.get("mean_delay_min").asDouble(),
            Long.parseLong(j.get("p90_delay_min").asText()), j.get("delayed_over15_share").asDouble()));
      }
      assertEquals("icebird under Node", expected, icebird);
    } finally {
      ((Closeable) catalog).close();
    }
  }

  /** Installs icebird 0.3.1 into target/icebird (once) and prints the table as JSON lines. */
  private static String icebird(String tableLocation, String metadataFile) throws Exception {
    Path dir = Path.of("target", "icebird").toAbsolutePath();
    Files.createDirectories(dir);
    if (!Files.exists(dir.resolve("node_modules/icebird/package.json"))) {
      run(dir, "npm", "install", "--no-audit", "--no-fund", "--no-save", "icebird@0.3.1");
    }
    Files.copy(Path.of("..", "io-lakehouse", "src", "test", "resources", "icebird-read.mjs"),
        dir.resolve("icebird-read.mjs"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return run(dir, "node", "icebird-read.mjs", tableLocation, metadataFile);
  }

  private static String run(Path dir, String... command) throws Exception {
    Path out = Files.createTempFile("icebird", ".out");
    Path err = Files.createTempFile("icebird", ".err");
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile())
          .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish");
      }
      assertEquals(String.join(" ", command) + ": " + Files.readString(err), 0, p.exitValue());
      return Files.readString(out, StandardCharsets.UTF_8);
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
