package io.beamline.io.lakehouse.testing;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableMetadata;
import org.apache.iceberg.HasTableOperations;

/**
 * The second engine of the interoperability tests: {@code icebird} 0.3.1, a pure-JavaScript
 * Iceberg reader (hyparquet for Parquet, its own Avro reader for manifests), run under Node. It
 * shares no code with Iceberg's Java library or ours: it reads the table's metadata JSON, manifest
 * list, manifests and Parquet files from disk.
 *
 * <p>{@link #install} runs {@code npm install icebird@0.3.1} into {@code target/icebird} once (the
 * npm registry must be reachable; node and npm must be on the PATH).
 */
public final class Icebird {
  public static final String VERSION = "0.3.1";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path dir;

  private Icebird(Path dir) {
    this.dir = dir;
  }

  /** Installs icebird under {@code dir} (if not there yet) with the read script beside it. */
  public static Icebird install(Path dir) throws Exception {
    Files.createDirectories(dir);
    Path marker = dir.resolve("node_modules/icebird/package.json");
    if (!Files.exists(marker) || !Files.readString(marker).contains("\"version\": \"" + VERSION + "\"")) {
      run(dir, 300, "npm", "install", "--no-audit", "--no-fund", "--no-save", "icebird@" + VERSION);
    }
    try (InputStream script = Icebird.class.getResourceAsStream("/icebird-read.mjs")) {
      Files.copy(script, dir.resolve("icebird-read.mjs"), StandardCopyOption.REPLACE_EXISTING);
    }
    return new Icebird(dir);
  }

  /** Every row of the table's current snapshot, as icebird reads it: one JSON object per row. */
  public List<JsonNode> read(Table table) throws Exception {
    TableMetadata metadata = ((HasTableOperations) table).operations().current();
    String file = Path.of(metadata.metadataFileLocation()).getFileName().toString();
    String out = run(dir, 120, "node", "icebird-read.mjs", table.location(), file);
    List<JsonNode> rows = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        rows.add(JSON.readTree(line));
      }
    }
    return rows;
  }

  private static String run(Path dir, long seconds, String... command) throws Exception {
    Path output = Files.createTempFile("icebird", ".out");
    Path errors = Files.createTempFile("icebird", ".err");
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile())
          .redirectOutput(output.toFile()).redirectError(errors.toFile()).start();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(String.join(" ", command) + " did not finish in " + seconds + " s");
      }
      String err = Files.readString(errors, StandardCharsets.UTF_8);
      assertEquals(String.join(" ", command) + " failed: " + err, 0, p.exitValue());
      return Files.readString(output, StandardCharsets.UTF_8);
    } catch (IOException e) {
      fail("cannot run " + command[0] + " (node and npm must be on the PATH): " + e);
      throw e;
    } finally {
      Files.deleteIfExists(output);
      Files.deleteIfExists(errors);
    }
  }
}
