package io.beamline.io.lakehouse;

import io.beamline.io.lakehouse.internal.CatalogSpec;
import io.beamline.io.lakehouse.internal.Upkeep;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Types;

/**
 * Looks at and maintains the tables of a warehouse from the command line, without writing Java
 * ({@code ./beamline table …} runs it):
 *
 * <pre>
 * IcebergTableTool --warehouse=DIR list
 * IcebergTableTool --warehouse=DIR show TABLE [--limit=20]     rows of the current snapshot
 * IcebergTableTool --warehouse=DIR snapshots TABLE              history with Beamline's markers
 * IcebergTableTool --warehouse=DIR compact TABLE [--minFiles=5] [--targetFileBytes=134217728]
 * IcebergTableTool --warehouse=DIR expire TABLE [--olderThan=P1D] [--retainLast=100]
 * </pre>
 *
 * <p>{@code --warehouse} is the embedded catalog's directory. A mistake (unknown command, missing
 * table or warehouse) prints one line and exits with 2; nothing is changed before it is caught.
 */
public final class IcebergTableTool {
  private final PrintStream out;
  private final CatalogSpec catalog;

  private IcebergTableTool(PrintStream out, CatalogSpec catalog) {
    this.out = out;
    this.catalog = catalog;
  }

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs the tool; returns the exit code (0 ok, 2 a user mistake). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Map<String, String> options = new HashMap<>();
    List<String> words = new ArrayList<>();
    for (String a : args) {
      if (a.startsWith("--") && a.contains("=")) {
        options.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
      } else {
        words.add(a);
      }
    }
    String warehouse = options.remove("warehouse");
    try {
      if (warehouse == null) {
        throw new UsageException("--warehouse=DIR is required (the directory the job printed at start)");
      }
      if (words.isEmpty()) {
        throw new UsageException("give a command: list, show TABLE, snapshots TABLE, compact TABLE, expire TABLE");
      }
      CatalogSpec spec = CatalogSpec.embedded(warehouse);
      if (!spec.mayHaveTables()) {
        throw new UsageException("no warehouse at " + warehouse + " (no " + CatalogSpec.EMBEDDED_DB
            + "): run a job that writes one first");
      }
      IcebergTableTool tool = new IcebergTableTool(out, spec);
      try {
        tool.execute(words, options);
      } finally {
        CatalogSpec.close(spec);
      }
      return 0;
    } catch (UsageException e) {
      err.println("table: " + e.getMessage());
      return 2;
    }
  }

  private void execute(List<String> words, Map<String, String> options) {
    String command = words.get(0);
    if (command.equals("list")) {
      list();
      return;
    }
    if (words.size() < 2) {
      throw new UsageException(command + " needs a table, e.g. " + command + " flights.hourly_stats");
    }
    Table table = table(words.get(1));
    switch (command) {
      case "show" -> show(table, intOption(options, "limit", 20));
      case "snapshots" -> snapshots(table);
      case "compact" -> out.printf("%s: %d small data files rewritten%n", table.name(),
          Upkeep.compact(table, intOption(options, "minFiles", 5),
              Long.parseLong(options.getOrDefault("targetFileBytes", Long.toString(128L << 20)))));
      case "expire" -> {
        Duration olderThan = Duration.parse(options.getOrDefault("olderThan", "P1D"));
        out.printf("%s: %d snapshots expired%n", table.name(), Upkeep.expire(table,
            System.currentTimeMillis() - olderThan.toMillis(), intOption(options, "retainLast", 100)));
      }
      default -> throw new UsageException(
          "unknown command '" + command + "': list, show, snapshots, compact, expire");
    }
  }

  private static int intOption(Map<String, String> options, String name, int dflt) {
    String v = options.get(name);
    try {
      return v == null ? dflt : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " must be a number, got '" + v + "'");
    }
  }

  private Table table(String name) {
    TableIdentifier id;
    try {
      id = TableIdentifier.parse(name);
    } catch (IllegalArgumentException e) {
      throw new UsageException("'" + name + "' is not a table name (namespace.table)");
    }
    if (!catalog.catalog().tableExists(id)) {
      throw new UsageException("no table " + name + "; tables: " + tableNames());
    }
    return catalog.catalog().loadTable(id);
  }

  private List<String> tableNames() {
    List<String> names = new ArrayList<>();
    if (catalog.catalog() instanceof SupportsNamespaces ns) {
      for (Namespace n : ns.listNamespaces()) {
        catalog.catalog().listTables(n).forEach(t -> names.add(t.toString()));
      }
    }
    return names;
  }

  private void list() {
    for (String name : tableNames()) {
      Table t = catalog.catalog().loadTable(TableIdentifier.parse(name));
      out.printf("%-32s %s%n", name, summary(t));
    }
  }

  /** Snapshot count, row count and location of a table's current state. */
  public static String summary(Table t) {
    int snapshots = 0;
    for (Snapshot ignored : t.snapshots()) {
      snapshots++;
    }
    Snapshot current = t.currentSnapshot();
    String rows = current == null ? "0" : current.summary().getOrDefault("total-records", "?");
    return snapshots + " snapshots, " + rows + " rows, " + t.location();
  }

  private void show(Table table, int limit) {
    List<Types.NestedField> columns = table.schema().columns();
    List<String[]> lines = new ArrayList<>();
    String[] header = columns.stream().map(Types.NestedField::name).toArray(String[]::new);
    lines.add(header);
    long total = 0;
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      for (Record r : records) {
        total++;
        if (lines.size() <= limit) {
          String[] cells = new String[columns.size()];
          for (int i = 0; i < cells.length; i++) {
            Object v = r.getField(columns.get(i).name());
            cells[i] = v == null ? "null" : v.toString();
          }
          lines.add(cells);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int[] widths = new int[header.length];
    for (String[] line : lines) {
      for (int i = 0; i < line.length; i++) {
        widths[i] = Math.max(widths[i], line[i].length());
      }
    }
    for (String[] line : lines) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < line.length; i++) {
        b.append(i == 0 ? "" : "  ").append(String.format("%-" + widths[i] + "s", line[i]));
      }
      out.println(b.toString().stripTrailing());
    }
    out.printf("(%d of %d rows; %s)%n", Math.min(limit, total), total, summary(table));
  }

  private void snapshots(Table table) {
    out.printf("%-20s %-24s %-8s %10s %10s  %s%n", "snapshot", "committed", "op", "added", "total", "markers");
    for (Snapshot s : table.snapshots()) {
      Map<String, String> sum = s.summary();
      String markers = sum.containsKey("beamline.epoch")
          ? "app=" + sum.get("beamline.app") + " sink=" + sum.get("beamline.sink") + " epoch="
              + sum.get("beamline.epoch") + " run=" + sum.get("beamline.run-id")
          : sum.containsKey("beamline.sink") ? "app=" + sum.get("beamline.app") + " sink=" + sum.get("beamline.sink") : "";
      out.printf("%-20d %-24s %-8s %10s %10s  %s%n", s.snapshotId(),
          Instant.ofEpochMilli(s.timestampMillis()), s.operation(),
          sum.getOrDefault("added-records", "0"), sum.getOrDefault("total-records", "?"), markers);
    }
  }

  /** A user mistake: one line, exit code 2. */
  private static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }
}
