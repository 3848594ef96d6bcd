package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import io.beamline.benchmarks.NexmarkQueries.Canonical;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import org.apache.beam.sdk.nexmark.NexmarkUtils;
import org.apache.beam.sdk.nexmark.model.KnownSize;
import org.apache.beam.sdk.nexmark.model.SellerPrice;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.TimestampedValue;

/**
 * The sink of every Nexmark run: a {@link DoFn} that folds each result into an order-independent digest of the
 * run (and, for a checked run, also keeps the result for the model check). Both live in static maps keyed by a
 * run id, which works because every runner under comparison executes the pipeline inside the harness's JVM
 * (MicroBatchRunner, DirectRunner, FlinkRunner's embedded mini-cluster); the DoFn itself is serialized and copied
 * by the runners, the maps are not.
 *
 * <p>Digest: {@code <n>:<16 hex digits>}, where {@code n} is the number of canonical items and the hex digits are
 * the sum (mod 2^64) of a 64-bit mix of each item's hash; how an item is formed depends on the query ({@link
 * Canonical}). Item hashes use the Nexmark model classes' {@code hashCode} (fields, strings and Joda instants:
 * the same in every JVM). The sum makes the digest independent of order and parallelism, and a lost or
 * duplicated result changes it.
 *
 * <p>Thread-safety: {@link #processElement} is called by many runner threads at once; the maps and adders are
 * concurrent. {@link #start} and {@link #finish} are called by the worker thread before the run starts and after
 * it has finished.
 */
final class NexmarkDigest extends DoFn<TimestampedValue<KnownSize>, Void> {

  private static final Map<String, State> RUNS = new ConcurrentHashMap<>();

  private final String runId;
  private final Canonical canonical;
  private final boolean collect;

  /** One result with the index of the pane it came in, kept for the model check. */
  record Collected(TimestampedValue<KnownSize> result, long paneIndex) {}

  /** What a finished run produced: results seen, the digest, and the results themselves if collected. */
  record Outcome(long results, String digest, List<Collected> collected) {}

  /** The accumulators of one run. */
  private static final class State {
    final LongAdder results = new LongAdder();
    final LongAdder items = new LongAdder();
    final LongAdder sum = new LongAdder();
    final Map<Long, long[]> perKey = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<Collected> collected = new ConcurrentLinkedQueue<>();
  }

  private NexmarkDigest(String runId, Canonical canonical, boolean collect) {
    this.runId = runId;
    this.canonical = canonical;
    this.collect = collect;
  }

  /**
   * Registers run {@code runId} and returns its sink.
   *
   * @param collect also keep every result (for the model check: use only with a modest number of results)
   */
  static NexmarkDigest start(String runId, Canonical canonical, boolean collect) {
    RUNS.put(runId, new State());
    return new NexmarkDigest(runId, canonical, collect);
  }

  /** The outcome of run {@code runId}, which is forgotten. */
  static Outcome finish(String runId) {
    State s = RUNS.remove(runId);
    if (s == null) {
      throw new IllegalStateException("no run " + runId);
    }
    long items = s.items.sum();
    long sum = s.sum.sum();
    for (Map.Entry<Long, long[]> e : s.perKey.entrySet()) {
      items++;
      sum += mix(e.getKey() * 0x9E3779B97F4A7C15L + e.getValue()[1]);
    }
    String digest = String.format(Locale.ROOT, "%d:%016x", items, sum);
    return new Outcome(s.results.sum(), digest, new ArrayList<>(s.collected));
  }

  /**
   * The collected results in the order a streaming engine would have produced them for one key: by timestamp, then
   * pane index. Nexmark's models of queries 4 and 6 keep "the last (in processing time) reported" result per key,
   * i.e. they assume the results arrive in that order, which a parallel runner does not promise.
   */
  static List<TimestampedValue<KnownSize>> inEmissionOrder(List<Collected> collected) {
    List<Collected> sorted = new ArrayList<>(collected);
    sorted.sort(
        Comparator.comparing((Collected c) -> c.result().getTimestamp()).thenComparingLong(Collected::paneIndex));
    List<TimestampedValue<KnownSize>> out = new ArrayList<>(sorted.size());
    sorted.forEach(c -> out.add(c.result()));
    return out;
  }

  @ProcessElement
  public void processElement(@Element TimestampedValue<KnownSize> result, PaneInfo pane) {
    State s = RUNS.get(runId);
    if (s == null) {
      throw new IllegalStateException("result after the end of run " + runId);
    }
    s.results.increment();
    if (collect) {
      s.collected.add(new Collected(result, pane.getIndex()));
    }
    KnownSize value = result.getValue();
    switch (canonical) {
      case VALUE_TIMESTAMP:
        add(s, mix(value.hashCode() * 0x9E3779B97F4A7C15L + result.getTimestamp().getMillis()));
        break;
      case VALUE:
        add(s, mix(value.hashCode()));
        break;
      case LAST_PANE_PER_SELLER:
        {
          long seller = ((SellerPrice) value).seller;
          long[] item = {pane.getIndex(), value.hashCode()};
          s.perKey.merge(seller, item, (a, b) -> a[0] >= b[0] ? a : b);
          break;
        }
      case SUM_PER_BIDDER:
        {
          // BidsPerSession has private fields; its JSON form (Jackson, @JsonProperty) exposes them
          JsonNode json = NexmarkUtils.MAPPER.valueToTree(value);
          long bidder = json.path("personId").asLong();
          long count = json.path("bidsPerSession").asLong();
          s.perKey.merge(bidder, new long[] {0, count}, (a, b) -> new long[] {0, a[1] + b[1]});
          break;
        }
      default:
        throw new IllegalStateException("unknown " + canonical);
    }
  }

  private static void add(State s, long hash) {
    s.items.increment();
    s.sum.add(hash);
  }

  /** SplitMix64's finalizer: spreads a 32- or 64-bit hash over 64 bits. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
