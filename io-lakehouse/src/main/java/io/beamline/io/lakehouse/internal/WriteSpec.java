package io.beamline.io.lakehouse.internal;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Everything the sink's DoFns need, fixed at expansion: catalog, destination, the Beam schema of
 * the rows, the sink's identity and its upkeep settings. Immutable; Java-serialized into the
 * DoFns.
 *
 * @param catalog where the tables are
 * @param table the destination table ({@code db.name}) when there is one, else null
 * @param tableFn the destination of each row when it varies, else null
 * @param beamSchema schema of the rows written
 * @param partitionFields partition fields of tables the sink creates ({@link PartitionFields})
 * @param tableProperties properties of tables the sink creates
 * @param sinkId identity of this sink in snapshot summaries ({@code beamline.sink})
 * @param app application name in snapshot summaries ({@code beamline.app})
 * @param upkeep snapshot expiry and compaction after commits
 */
public record WriteSpec(
    CatalogSpec catalog,
    @Nullable String table,
    @Nullable SerializableFunction<Row, String> tableFn,
    org.apache.beam.sdk.schemas.Schema beamSchema,
    List<String> partitionFields,
    Map<String, String> tableProperties,
    String sinkId,
    String app,
    UpkeepSpec upkeep)
    implements Serializable {

  /** The destination table of {@code row}. */
  public String destinationOf(Row row) {
    if (table != null) {
      return table;
    }
    String t = tableFn.apply(row);
    if (t == null || t.isBlank()) {
      throw new IllegalArgumentException("the table function returned no table for " + row);
    }
    return t;
  }

  /**
   * The tag that names this sink's data files within run {@code runId} (16 hex digits of
   * SHA-256): file names carry it, so orphans of a killed attempt are recognised as this sink's
   * and this run's without touching anyone else's files.
   */
  public String fileTag(@Nullable String runId) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(String.valueOf(runId).getBytes(StandardCharsets.UTF_8));
      sha.update((byte) '\n');
      sha.update(sinkId.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
