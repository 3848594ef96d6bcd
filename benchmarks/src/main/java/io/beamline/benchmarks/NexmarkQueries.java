package io.beamline.benchmarks;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.nexmark.NexmarkConfiguration;
import org.apache.beam.sdk.nexmark.NexmarkQueryName;
import org.apache.beam.sdk.nexmark.NexmarkUtils;
import org.apache.beam.sdk.nexmark.model.Event;
import org.apache.beam.sdk.nexmark.model.KnownSize;
import org.apache.beam.sdk.nexmark.queries.NexmarkQuery;
import org.apache.beam.sdk.nexmark.queries.NexmarkQueryModel;
import org.apache.beam.sdk.nexmark.queries.NexmarkQueryTransform;
import org.apache.beam.sdk.nexmark.queries.Query0;
import org.apache.beam.sdk.nexmark.queries.Query0Model;
import org.apache.beam.sdk.nexmark.queries.Query1;
import org.apache.beam.sdk.nexmark.queries.Query10;
import org.apache.beam.sdk.nexmark.queries.Query11;
import org.apache.beam.sdk.nexmark.queries.Query12;
import org.apache.beam.sdk.nexmark.queries.Query1Model;
import org.apache.beam.sdk.nexmark.queries.Query2;
import org.apache.beam.sdk.nexmark.queries.Query2Model;
import org.apache.beam.sdk.nexmark.queries.Query3;
import org.apache.beam.sdk.nexmark.queries.Query3Model;
import org.apache.beam.sdk.nexmark.queries.Query4;
import org.apache.beam.sdk.nexmark.queries.Query4Model;
import org.apache.beam.sdk.nexmark.queries.Query5;
import org.apache.beam.sdk.nexmark.queries.Query5Model;
import org.apache.beam.sdk.nexmark.queries.Query6;
import org.apache.beam.sdk.nexmark.queries.Query6Model;
import org.apache.beam.sdk.nexmark.queries.Query7;
import org.apache.beam.sdk.nexmark.queries.Query7Model;
import org.apache.beam.sdk.nexmark.queries.Query8;
import org.apache.beam.sdk.nexmark.queries.Query8Model;
import org.apache.beam.sdk.nexmark.queries.Query9;
import org.apache.beam.sdk.nexmark.queries.Query9Model;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;

/**
 * Beam's Nexmark queries 0–12 (Java versions, {@code beam-sdks-java-nexmark} 2.60.0), built the way Nexmark's own
 * {@code NexmarkLauncher} builds them but from the public classes only: a {@link NexmarkConfiguration}, the
 * generator as a source ({@link NexmarkUtils#batchEventsSource} or {@link NexmarkUtils#streamEventsSource}), the
 * query wrapped in {@link NexmarkQuery} (which stamps each result with its timestamp), and the query's {@link
 * NexmarkQueryModel} where Nexmark has one (queries 0–9).
 *
 * <p>Configuration: Nexmark's defaults ({@link NexmarkConfiguration#DEFAULT}) except {@code numEvents}, {@code
 * numEventGenerators} and {@code debug=false}: no {@code Monitor} transforms (per-element metrics), since the
 * harness measures wall time itself. The models simulate a single generator's timeline, so a run that is checked
 * against a model must use {@code numEventGenerators=1}: with more generators the events are the same but their
 * timestamps are not (each generator runs its own timeline, {@code GeneratorConfig.split}).
 */
final class NexmarkQueries {

  /** Queries 0 to 12: those of Nexmark's Java suite that have a number (13–16 are extra tests, SQL is out). */
  static final List<Integer> ALL = List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);

  /** How a query's results are reduced to something every correct runner produces identically. */
  enum Canonical {
    /** The multiset of (value, timestamp): deterministic queries whose model compares timestamps too (0–2). */
    VALUE_TIMESTAMP,
    /** The multiset of values: deterministic queries whose model compares values only. */
    VALUE,
    /**
     * Per seller, the value of the last pane (highest pane index): query 6 re-fires a global window on every
     * winning bid, so how many intermediate results appear depends on bundling; the last one does not.
     */
    LAST_PANE_PER_SELLER,
    /**
     * Per bidder, the sum of the counts of all panes: queries 11 and 12 fire on element counts and processing
     * time (discarding), so the panes depend on bundling and timing; their sum per bidder does not.
     */
    SUM_PER_BIDDER
  }

  private NexmarkQueries() {}

  /** Parses {@code 0,1,2} or {@code 0-12}; every number must be one of {@link #ALL}. */
  static List<Integer> parse(String spec) {
    List<Integer> out = new ArrayList<>();
    for (String part : spec.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int dash = p.indexOf('-');
      int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).trim());
      int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1).trim());
      for (int q = from; q <= to; q++) {
        if (!ALL.contains(q)) {
          throw new IllegalArgumentException("no Nexmark query " + q + "; queries are 0 to 12");
        }
        out.add(q);
      }
    }
    return out;
  }

  /** Nexmark's name of query {@code q}, e.g. {@code PASSTHROUGH} for 0. */
  static String name(int q) {
    return NexmarkQueryName.fromNumber(q).name();
  }

  /** Nexmark's default configuration for query {@code q} with {@code events} events from {@code generators}. */
  static NexmarkConfiguration configuration(int q, long events, int generators) {
    NexmarkConfiguration c = NexmarkConfiguration.DEFAULT.copy();
    c.query = NexmarkQueryName.fromNumber(q);
    c.numEvents = events;
    c.numEventGenerators = generators;
    c.debug = false;
    return c;
  }

  /** How the results of query {@code q} are digested (see {@link Canonical}). */
  static Canonical canonical(int q) {
    switch (q) {
      case 0:
      case 1:
      case 2:
        return Canonical.VALUE_TIMESTAMP;
      case 6:
        return Canonical.LAST_PANE_PER_SELLER;
      case 11:
      case 12:
        return Canonical.SUM_PER_BIDDER;
      default:
        return Canonical.VALUE;
    }
  }

  /**
   * Adds the generator and query {@code q} to {@code pipeline}, after registering Nexmark's coders as its
   * launcher does ({@link NexmarkUtils#setupPipeline}).
   *
   * @return the query's results, each with its event timestamp
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static PCollection<TimestampedValue<KnownSize>> apply(
      Pipeline pipeline, NexmarkConfiguration c, boolean streaming) {
    NexmarkUtils.setupPipeline(c.coderStrategy, pipeline);
    PCollection<Event> events =
        pipeline.apply(
            "Q" + number(c) + ".Events",
            streaming ? NexmarkUtils.streamEventsSource(c) : NexmarkUtils.batchEventsSource(c));
    NexmarkQuery<?> query = new NexmarkQuery(c, transform(number(c), c));
    return (PCollection) events.apply(query);
  }

  private static int number(NexmarkConfiguration c) {
    return Integer.parseInt(c.query.getNumberOrName());
  }

  /** The query transform, as NexmarkLauncher.createJavaQueries makes it. */
  static NexmarkQueryTransform<?> transform(int q, NexmarkConfiguration c) {
    switch (q) {
      case 0:
        return new Query0();
      case 1:
        return new Query1(c);
      case 2:
        return new Query2(c);
      case 3:
        return new Query3(c);
      case 4:
        return new Query4(c);
      case 5:
        return new Query5(c);
      case 6:
        return new Query6(c);
      case 7:
        return new Query7(c);
      case 8:
        return new Query8(c);
      case 9:
        return new Query9(c);
      case 10:
        {
          // As NexmarkLauncher: no output path (nothing is written; its GCS writer is disabled in Beam anyway),
          // and 5 workers, which sets 25 log shards (with 0 the query divides by zero).
          Query10 q10 = new Query10(c);
          q10.setOutputPath(null);
          q10.setMaxNumWorkers(5);
          return q10;
        }
      case 11:
        return new Query11(c);
      case 12:
        return new Query12(c);
      default:
        throw new IllegalArgumentException("no Nexmark query " + q);
    }
  }

  /** Nexmark's model of query {@code q}, or null for 10–12, which have none. */
  static NexmarkQueryModel<?> model(int q, NexmarkConfiguration c) {
    switch (q) {
      case 0:
        return new Query0Model(c);
      case 1:
        return new Query1Model(c);
      case 2:
        return new Query2Model(c);
      case 3:
        return new Query3Model(c);
      case 4:
        return new Query4Model(c);
      case 5:
        return new Query5Model(c);
      case 6:
        return new Query6Model(c);
      case 7:
        return new Query7Model(c);
      case 8:
        return new Query8Model(c);
      case 9:
        return new Query9Model(c);
      default:
        return null;
    }
  }
}
