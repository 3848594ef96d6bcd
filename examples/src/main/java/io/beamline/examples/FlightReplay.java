package io.beamline.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * What the replayer of {@link FlightDelaysStreaming} writes to the input topic, in order: a
 * deterministic function of the input rows and the replay options, so that a restarted job writes
 * the same records at the same offsets of the same partitions (which is what lets a run resume its
 * checkpoint on a new embedded broker, and lets the replayer skip what an external topic already
 * holds).
 *
 * <p>The sequence:
 *
 * <ol>
 *   <li>every input row, in departure-time order (rows that cannot be parsed keep their place
 *       after the row before them in the file);
 *   <li>{@code malformedRecords} deliberately malformed rows, spread evenly over the sequence;
 *   <li>{@code outOfOrderPercent} % of the flights, picked by a hash of their position, are
 *       <b>released late</b>: their release time is their departure plus 5 to 45 minutes, and the
 *       sequence is ordered by release time, so they reach the topic after flights that departed
 *       up to 45 minutes after them;
 *   <li>after the last flight, one <b>end-of-replay marker</b> per partition (key {@value
 *       #END_KEY}, header {@value #CONTROL_HEADER}), whose value names the time {@link #complete()}
 *       before which every flight has been replayed: the start of the day after the last
 *       departure, which is the end of the last window of the analytics.
 * </ol>
 *
 * <p>Each flight goes to the partition of its origin airport ({@code hash(origin) mod
 * partitions}), each malformed row and marker to a fixed partition. Kafka keys: the origin airport,
 * {@value #MALFORMED_KEY}, or {@value #END_KEY}.
 */
final class FlightReplay {
  /** Key of the end-of-replay markers. */
  static final String END_KEY = "end-of-replay";

  /** Key of the deliberately malformed rows. */
  static final String MALFORMED_KEY = "malformed";

  /** Header that marks a control record (an end-of-replay marker), which is not a flight. */
  static final String CONTROL_HEADER = "beamline-replay-control";

  static final int MIN_DELAY_MINUTES = 5;
  static final int MAX_DELAY_MINUTES = 45;

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One record of the replay.
   *
   * @param partition the input topic partition
   * @param offset its offset in that partition (records are written to a new topic without
   *     transactions, so offsets are 0, 1, 2, … per partition)
   * @param releaseMillis when it is due, in departure time (event time) ms: the departure, plus
   *     the delay for a flight released late
   * @param delayed true for a flight released late
   */
  record Entry(
      int partition,
      long offset,
      String key,
      String value,
      boolean control,
      long releaseMillis,
      boolean delayed) {}

  private final List<Entry> entries;
  private final int partitions;
  private final int flights;
  private final int malformed;
  private final int delayed;
  private final Instant firstDeparture;
  private final Instant lastDeparture;
  private final Instant complete;
  private final String fingerprint;

  private FlightReplay(
      List<Entry> entries,
      int partitions,
      int flights,
      int malformed,
      int delayed,
      Instant firstDeparture,
      Instant lastDeparture,
      Instant complete) {
    this.entries = List.copyOf(entries);
    this.partitions = partitions;
    this.flights = flights;
    this.malformed = malformed;
    this.delayed = delayed;
    this.firstDeparture = firstDeparture;
    this.lastDeparture = lastDeparture;
    this.complete = complete;
    this.fingerprint = fingerprint(entries);
  }

  /** A row of the input with the time that orders it. */
  private record Row(String raw, String origin, long departure, boolean valid) {}

  /**
   * Builds the replay of {@code rows}.
   *
   * @throws IllegalArgumentException if no row is a valid flight, or an argument is out of range
   */
  static FlightReplay of(
      List<String> rows, int partitions, int outOfOrderPercent, int malformedRecords) {
    if (partitions < 1) {
      throw new IllegalArgumentException("--inputPartitions must be at least 1, was " + partitions);
    }
    if (outOfOrderPercent < 0 || outOfOrderPercent > 100) {
      throw new IllegalArgumentException(
          "--outOfOrderPercent must be between 0 and 100, was " + outOfOrderPercent);
    }
    if (malformedRecords < 0) {
      throw new IllegalArgumentException(
          "--malformedRecords must be at least 0, was " + malformedRecords);
    }
    List<Row> parsed = new ArrayList<>(rows.size());
    Long previous = null;
    List<String> leadingMalformed = new ArrayList<>();
    for (String raw : rows) {
      try {
        Flight flight = ParseFlightFn.parse(raw);
        previous = flight.departureMillis();
        for (String bad : leadingMalformed) {
          parsed.add(new Row(bad, null, previous, false));
        }
        leadingMalformed.clear();
        parsed.add(new Row(raw, flight.origin(), previous, true));
      } catch (ParseFlightFn.MalformedRowException e) {
        if (previous == null) {
          leadingMalformed.add(raw);
        } else {
          parsed.add(new Row(raw, null, previous, false));
        }
      }
    }
    if (previous == null) {
      throw new IllegalArgumentException("the input has no valid flight to replay");
    }
    parsed.sort(Comparator.comparingLong(Row::departure)); // stable: file order on ties

    // Deliberately malformed rows, spread evenly.
    List<Row> all = new ArrayList<>(parsed);
    for (int j = malformedRecords; j >= 1; j--) {
      int at = (int) ((long) j * parsed.size() / (malformedRecords + 1));
      Row neighbour = parsed.get(Math.min(at, parsed.size() - 1));
      all.add(at, new Row(malformedRow(j, neighbour.raw()), null, neighbour.departure(), false));
    }

    // Release times; flights released late are picked by a hash of their position.
    List<Entry> entries = new ArrayList<>(all.size() + partitions);
    long[] release = new long[all.size()];
    boolean[] late = new boolean[all.size()];
    int flights = 0;
    int delayedFlights = 0;
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (int i = 0; i < all.size(); i++) {
      Row row = all.get(i);
      release[i] = row.departure();
      if (row.valid()) {
        flights++;
        first = Math.min(first, row.departure());
        last = Math.max(last, row.departure());
        long h = mix(i);
        if (Math.floorMod(h, 100) < outOfOrderPercent) {
          int span = MAX_DELAY_MINUTES - MIN_DELAY_MINUTES + 1;
          long minutes = MIN_DELAY_MINUTES + Math.floorMod(h >>> 8, span);
          release[i] += Duration.ofMinutes(minutes).toMillis();
          late[i] = true;
          delayedFlights++;
        }
      }
    }
    Integer[] order = new Integer[all.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, Comparator.comparingLong(i -> release[i])); // stable

    long[] next = new long[partitions];
    int malformedIndex = 0;
    for (int i : order) {
      Row row = all.get(i);
      int partition;
      String key;
      if (row.valid()) {
        partition = Math.floorMod(row.origin().hashCode(), partitions);
        key = row.origin();
      } else {
        partition = malformedIndex++ % partitions;
        key = MALFORMED_KEY;
      }
      entries.add(
          new Entry(partition, next[partition]++, key, row.raw(), false, release[i], late[i]));
    }
    Instant complete =
        Instant.ofEpochMilli(last).truncatedTo(ChronoUnit.DAYS).plus(Duration.ofDays(1));
    String marker =
        JSON.createObjectNode()
            .put("endOfReplay", true)
            .put("complete", complete.toString())
            .toString();
    for (int p = 0; p < partitions; p++) {
      entries.add(new Entry(p, next[p]++, END_KEY, marker, true, complete.toEpochMilli(), false));
    }
    return new FlightReplay(
        entries,
        partitions,
        flights,
        all.size() - flights,
        delayedFlights,
        Instant.ofEpochMilli(first),
        Instant.ofEpochMilli(last),
        complete);
  }

  /** The j-th deliberately malformed row, made from a real one. */
  private static String malformedRow(int j, String neighbour) {
    switch (j % 3) {
      case 1:
        // cut in the middle: not valid JSON
        return neighbour.substring(0, neighbour.indexOf("\"delay\":") + "\"delay\":".length());
      case 2:
        // a date in another format
        return neighbour.replaceFirst("\"date\":\"(\\d{4})/(\\d{2})/(\\d{2})", "\"date\":\"$1-$2-$3");
      default:
        // a field renamed
        return neighbour.replace("\"delay\":", "\"delay_minutes\":");
    }
  }

  /** A well-spread hash of a position (SplitMix64's finalizer). */
  private static long mix(long x) {
    long z = x + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return (z ^ (z >>> 31)) >>> 1;
  }

  private static String fingerprint(List<Entry> entries) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Entry e : entries) {
        sha.update((e.partition() + "\u0000" + e.key() + "\u0000" + e.control() + "\u0000")
            .getBytes(StandardCharsets.UTF_8));
        sha.update(e.value().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) '\n');
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The time named by an end-of-replay marker's value: every flight before it has been replayed.
   *
   * @throws IllegalArgumentException if {@code value} is not a marker
   */
  static Instant completeTimeOf(String value) {
    try {
      JsonNode node = JSON.readTree(value);
      return Instant.parse(node.get("complete").asText());
    } catch (Exception e) {
      throw new IllegalArgumentException("not an end-of-replay marker: " + value, e);
    }
  }

  List<Entry> entries() {
    return entries;
  }

  int partitions() {
    return partitions;
  }

  /** Valid flights in the replay. */
  int flights() {
    return flights;
  }

  /** Malformed rows in the replay: those of the input and the deliberate ones. */
  int malformed() {
    return malformed;
  }

  /** Flights released late. */
  int delayed() {
    return delayed;
  }

  Instant firstDeparture() {
    return firstDeparture;
  }

  Instant lastDeparture() {
    return lastDeparture;
  }

  /** The time of the end-of-replay markers: the end of the last window of the analytics. */
  Instant complete() {
    return complete;
  }

  /** SHA-256 of the whole sequence (partitions, keys, values), hex. */
  String fingerprint() {
    return fingerprint;
  }
}
