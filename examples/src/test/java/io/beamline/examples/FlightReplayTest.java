package io.beamline.examples;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.both;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.BeforeClass;
import org.junit.Test;

/** The streaming job's replay of the bundled flights, and its input deserializer. */
public class FlightReplayTest {
  private static List<String> rows;

  @BeforeClass
  public static void readRows() throws Exception {
    rows = InputRows.read(FlightDelays.BUNDLED_INPUT);
  }

  @Test
  public void replayIsDeterministicAndDependsOnItsOptions() {
    FlightReplay a = FlightReplay.of(rows, 3, 2, 2);
    assertEquals(a.fingerprint(), FlightReplay.of(rows, 3, 2, 2).fingerprint());
    assertEquals(a.entries(), FlightReplay.of(rows, 3, 2, 2).entries());
    assertNotEquals(a.fingerprint(), FlightReplay.of(rows, 1, 2, 2).fingerprint());
    assertNotEquals(a.fingerprint(), FlightReplay.of(rows, 3, 3, 2).fingerprint());
    assertNotEquals(a.fingerprint(), FlightReplay.of(rows, 3, 2, 1).fingerprint());
  }

  @Test
  public void replayHoldsEveryFlightTheMalformedRowsAndOneEndMarkerPerPartition() {
    FlightReplay replay = FlightReplay.of(rows, 3, 2, 2);
    assertEquals(20_000, replay.flights());
    assertEquals(2, replay.malformed());
    assertEquals(20_000 + 2 + 3, replay.entries().size());
    assertThat(replay.delayed(), both(greaterThan(300)).and(lessThan(500)));
    assertEquals(Instant.parse("2001-04-01T00:00:00Z"), replay.complete());
    long[] next = new long[3];
    for (FlightReplay.Entry e : replay.entries()) {
      assertEquals("offsets of partition " + e.partition(), next[e.partition()]++, e.offset());
    }
    List<FlightReplay.Entry> last = replay.entries().subList(20_002, 20_005);
    for (FlightReplay.Entry marker : last) {
      assertTrue(marker.control());
      assertEquals(FlightReplay.END_KEY, marker.key());
      assertEquals(replay.complete(), FlightReplay.completeTimeOf(marker.value()));
    }
    assertEquals(3, last.stream().map(FlightReplay.Entry::partition).distinct().count());
  }

  /**
   * What keeps every flight on time for the watermark: within a partition, no record departs more
   * than the largest delay before a record written ahead of it.
   */
  @Test
  public void withinAPartitionNoFlightIsMoreThanTheLargestDelayOutOfOrder() throws Exception {
    for (int partitions : new int[] {1, 3}) {
      FlightReplay replay = FlightReplay.of(rows, partitions, 2, 2);
      long[] maxDeparture = new long[partitions];
      java.util.Arrays.fill(maxDeparture, Long.MIN_VALUE);
      long maxLateness = 0;
      int outOfOrder = 0;
      for (FlightReplay.Entry e : replay.entries()) {
        if (e.control() || e.key().equals(FlightReplay.MALFORMED_KEY)) {
          continue;
        }
        long departure = ParseFlightFn.parse(e.value()).departureMillis();
        long behind =
            maxDeparture[e.partition()] == Long.MIN_VALUE ? 0 : maxDeparture[e.partition()] - departure;
        if (behind > 0) {
          outOfOrder++;
          maxLateness = Math.max(maxLateness, behind);
        }
        maxDeparture[e.partition()] = Math.max(maxDeparture[e.partition()], departure);
      }
      assertThat("flights written out of order", outOfOrder, greaterThan(100));
      assertThat(
          Duration.ofMillis(maxLateness),
          lessThan(Duration.ofMinutes(FlightReplay.MAX_DELAY_MINUTES + 1)));
    }
  }

  @Test
  public void deserializerAcceptsFlightsAndMarkersAndRejectsMalformedRows() {
    FlightRowDeserializer deserializer = new FlightRowDeserializer();
    FlightReplay replay = FlightReplay.of(rows, 1, 2, 3);
    int rejected = 0;
    for (FlightReplay.Entry e : replay.entries()) {
      RecordHeaders headers = new RecordHeaders();
      if (e.control()) {
        headers.add(new RecordHeader(FlightReplay.CONTROL_HEADER, new byte[] {1}));
      }
      byte[] bytes = e.value().getBytes(StandardCharsets.UTF_8);
      if (e.key().equals(FlightReplay.MALFORMED_KEY)) {
        SerializationException error =
            assertThrows(
                SerializationException.class, () -> deserializer.deserialize("t", headers, bytes));
        assertThat(error.getMessage(), containsString("malformed flight: "));
        rejected++;
      } else {
        assertEquals(e.value(), deserializer.deserialize("t", headers, bytes));
      }
    }
    assertEquals(3, rejected);
    SerializationException notUtf8 =
        assertThrows(
            SerializationException.class,
            () -> deserializer.deserialize("t", new RecordHeaders(), new byte[] {'{', (byte) 0xC3}));
    assertThat(notUtf8.getMessage(), containsString("not valid UTF-8"));
  }

  @Test
  public void eventTimeIsTheDepartureAndAMarkerPutsTheWatermarkAtItsTime() {
    FlightDelaysStreaming.DepartureTime time =
        new FlightDelaysStreaming.DepartureTime(Duration.ofMinutes(60).toMillis());
    String flight = rows.get(0);
    assertEquals(
        org.joda.time.Instant.parse("2001-01-01T00:47:00Z"),
        time.apply(new io.beamline.io.kafka.KafkaRecord<>("t", 0, 0, 0, "DTW", flight)));
    String marker = FlightReplay.of(rows, 1, 0, 0).entries().get(20_000).value();
    assertEquals(
        org.joda.time.Instant.parse("2001-04-01T01:00:00Z"),
        time.apply(
            new io.beamline.io.kafka.KafkaRecord<>("t", 0, 0, 0, FlightReplay.END_KEY, marker)));
  }
}
