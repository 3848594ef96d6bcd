package io.beamline.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.joda.time.Instant;

/**
 * One parsed flight departure of the BTS on-time data set.
 *
 * @param departureMillis departure time in epoch milliseconds (the data's local wall-clock time,
 *     read as UTC)
 * @param delayMinutes departure delay in minutes; negative when the flight left early
 * @param distanceMiles flight distance in miles
 * @param origin IATA code of the departure airport
 * @param destination IATA code of the arrival airport
 */
public record Flight(
    long departureMillis, int delayMinutes, int distanceMiles, String origin, String destination) {

  /** The coder to set on every {@code PCollection<Flight>}; deterministic and compact. */
  public static final AtomicCoder<Flight> CODER = new FlightCoder();

  /** Departure time as a Beam event timestamp. */
  public Instant departure() {
    return Instant.ofEpochMilli(departureMillis);
  }

  /** Field-by-field coder: VarLong, VarInt, VarInt, UTF-8, UTF-8. */
  private static final class FlightCoder extends AtomicCoder<Flight> {
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();

    @Override
    public void encode(Flight flight, OutputStream out) throws IOException {
      LONG.encode(flight.departureMillis(), out);
      INT.encode(flight.delayMinutes(), out);
      INT.encode(flight.distanceMiles(), out);
      STRING.encode(flight.origin(), out);
      STRING.encode(flight.destination(), out);
    }

    @Override
    public Flight decode(InputStream in) throws IOException {
      return new Flight(
          LONG.decode(in), INT.decode(in), INT.decode(in), STRING.decode(in), STRING.decode(in));
    }
  }
}
