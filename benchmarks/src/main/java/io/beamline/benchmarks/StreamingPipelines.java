package io.beamline.benchmarks;

import io.beamline.benchmarks.BenchmarkPipelines.BuiltPipeline;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;

/**
 * The streaming benchmark pipelines. All read the numbers {@code [0, N)} from an unbounded source that ends
 * ({@link FiniteUnboundedSource}, or a {@link TestStream} for the epoch-cost run without checkpoints), key them by
 * {@code n % keys} and count per key in a stateful DoFn ({@code ValueState<Long>}), so every run keeps keyed state.
 *
 * <ul>
 *   <li>{@link #forwarding}: the stateful counter forwards each number; a last DoFn records which numbers arrived
 *       (each exactly once, or the run fails) and, optionally, each one's latency {@code now - event timestamp} in
 *       ms. Used for the epoch cost and the end-to-end latency.
 *   <li>{@link #statefulCount}: the stateful counter emits a key's count only when it reaches the key's expected
 *       total (or passes it, which fails the run), so the output is one element per key and the time is spent in
 *       reading, shuffling and state.
 * </ul>
 *
 * <p>As in {@link BenchmarkPipelines}, the recording DoFns write to JVM-wide maps keyed by a run id: the runners
 * compared here execute in the JVM that submits the pipeline.
 */
public final class StreamingPipelines {

  /** What the last DoFn of a {@link #forwarding} run saw, keyed by run id. */
  static final Map<String, Arrivals> ARRIVALS = new ConcurrentHashMap<>();

  /** Final per-key counts of a {@link #statefulCount} run, keyed by run id. */
  static final Map<String, Map<Long, Long>> FINAL_COUNTS = new ConcurrentHashMap<>();

  /** Problems seen while running (duplicates, over-counts), keyed by run id. */
  static final Map<String, List<String>> PROBLEMS = new ConcurrentHashMap<>();

  private StreamingPipelines() {}

  /** The numbers that arrived at the end of a run, and their latencies. Thread-safe. */
  static final class Arrivals {
    private final BitSet seen = new BitSet();
    private long duplicates;
    private long[] latenciesMs = new long[1024];
    private int latencies;

    synchronized void record(long number, long latencyMs, boolean keepLatency) {
      if (seen.get((int) number)) {
        duplicates++;
      }
      seen.set((int) number);
      if (keepLatency) {
        if (latencies == latenciesMs.length) {
          latenciesMs = java.util.Arrays.copyOf(latenciesMs, latencies * 2);
        }
        latenciesMs[latencies++] = latencyMs;
      }
    }

    synchronized int distinct() {
      return seen.cardinality();
    }

    synchronized long duplicates() {
      return duplicates;
    }

    synchronized long[] latenciesMs() {
      return java.util.Arrays.copyOf(latenciesMs, latencies);
    }
  }

  /** The unbounded source of {@code count} numbers; see {@link FiniteUnboundedSource}. */
  static PTransform<PBegin, PCollection<Long>> unboundedRead(long count, double ratePerSecond, int maxSplits) {
    return Read.from(new FiniteUnboundedSource(count, ratePerSecond, maxSplits));
  }

  /**
   * A {@link TestStream} of the numbers {@code [0, count)}, one element per event, so MicroBatchRunner runs one
   * epoch per number. A TestStream cannot be checkpointed, which is the point: it gives epochs without a
   * checkpoint directory (a run that reads an {@code UnboundedSource} always has one).
   */
  static PTransform<PBegin, PCollection<Long>> testStream(long count) {
    TestStream.Builder<Long> builder = TestStream.create(VarLongCoder.of());
    for (long i = 0; i < count; i++) {
      builder = builder.addElements(TimestampedValue.of(i, new Instant(i)));
    }
    return builder.advanceWatermarkToInfinity();
  }

  /**
   * {@code source} → {@code KV(n % keys, n)} → stateful counter forwarding {@code n} → record arrival (and
   * latency). Verified: every number of {@code [0, count)} arrived exactly once.
   */
  static ForwardingRun forwarding(
      PipelineOptions options, String name, PTransform<PBegin, PCollection<Long>> source, long count, long keys,
      boolean recordLatency) {
    String runId = name + "/" + UUID.randomUUID();
    ARRIVALS.put(runId, new Arrivals());
    String description = name + " (N=" + count + ", keys=" + keys + ")";
    Pipeline p = Pipeline.create(options);
    p.apply("Source", source)
        .apply("Key", keyBy(keys))
        .apply("CountAndForward", ParDo.of(new CountAndForward()))
        .apply("RecordArrival", ParDo.of(new RecordArrival(runId, recordLatency)));
    BenchmarkPipelines.Verifier verifier =
        () -> {
          Arrivals arrivals = ARRIVALS.get(runId);
          if (arrivals.duplicates() > 0) {
            throw new IllegalStateException(description + ": " + arrivals.duplicates() + " numbers arrived twice");
          }
          if (arrivals.distinct() != count) {
            throw new IllegalStateException(
                description + ": " + arrivals.distinct() + " distinct numbers arrived, expected " + count);
          }
          return "records=" + count + ",keys=" + keys;
        };
    return new ForwardingRun(new BuiltPipeline(p, description, verifier, () -> ARRIVALS.remove(runId)), runId);
  }

  /** A constructed {@link #forwarding} pipeline and what its last DoFn recorded. */
  static final class ForwardingRun {
    final BuiltPipeline built;
    private final String runId;

    ForwardingRun(BuiltPipeline built, String runId) {
      this.built = built;
      this.runId = runId;
    }

    /** Latencies in ms (unsorted) recorded so far; read them before {@link BuiltPipeline#verify()} cleans up. */
    long[] latenciesMs() {
      Arrivals arrivals = ARRIVALS.get(runId);
      return arrivals == null ? new long[0] : arrivals.latenciesMs();
    }
  }

  /**
   * Unthrottled source of {@code n} numbers → {@code KV(n % keys, n)} → stateful counter that emits {@code
   * KV(key, count)} when a key's count reaches its expected total. Verified: every key emitted exactly its
   * expected total, once.
   */
  public static BuiltPipeline statefulCount(PipelineOptions options, String name, long n, long keys, int splits) {
    String runId = name + "/" + UUID.randomUUID();
    FINAL_COUNTS.put(runId, new ConcurrentHashMap<>());
    long expectedKeys = Math.min(n, keys);
    String description = name + " (N=" + n + ", keys=" + keys + ")";
    Pipeline p = Pipeline.create(options);
    p.apply("Source", unboundedRead(n, 0, splits))
        .apply("Key", keyBy(keys))
        .apply("CountPerKey", ParDo.of(new CountPerKey(n, keys, runId)))
        .apply("RecordFinalCount", ParDo.of(new RecordFinalCount(runId)));
    BenchmarkPipelines.Verifier verifier =
        () -> {
          List<String> problems = PROBLEMS.getOrDefault(runId, List.of());
          if (!problems.isEmpty()) {
            throw new IllegalStateException(description + ": " + problems.subList(0, Math.min(5, problems.size())));
          }
          Map<Long, Long> counts = FINAL_COUNTS.get(runId);
          if (counts.size() != expectedKeys) {
            throw new IllegalStateException(
                description + ": " + counts.size() + " keys reached their expected count, expected " + expectedKeys);
          }
          for (Map.Entry<Long, Long> e : counts.entrySet()) {
            if (e.getValue() != expectedCount(n, keys, e.getKey())) {
              throw new IllegalStateException(description + ": key " + e.getKey() + " counted " + e.getValue());
            }
          }
          return "records=" + n + ",keys=" + expectedKeys + ",counts=ok";
        };
    Runnable cleanup =
        () -> {
          FINAL_COUNTS.remove(runId);
          PROBLEMS.remove(runId);
        };
    return new BuiltPipeline(p, description, verifier, cleanup);
  }

  /** How many x in {@code [0, n)} have {@code x % keys == key}. */
  static long expectedCount(long n, long keys, long key) {
    return key >= n ? 0 : (n - 1 - key) / keys + 1;
  }

  private static MapElements<Long, KV<Long, Long>> keyBy(long keys) {
    return MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
        .via((Long x) -> KV.of(x % keys, x));
  }

  private static void problem(String runId, String message) {
    PROBLEMS.computeIfAbsent(runId, k -> Collections.synchronizedList(new ArrayList<>())).add(message);
  }

  /** Counts per key in {@code ValueState} and forwards each value (with its timestamp). */
  static final class CountAndForward extends DoFn<KV<Long, Long>, Long> {
    @StateId("count")
    private final StateSpec<ValueState<Long>> countSpec = StateSpecs.value(VarLongCoder.of());

    @ProcessElement
    public void process(
        @Element KV<Long, Long> element, @StateId("count") ValueState<Long> count, OutputReceiver<Long> out) {
      Long c = count.read();
      count.write(c == null ? 1L : c + 1);
      out.output(element.getValue());
    }
  }

  /** Records that a number arrived and, optionally, {@code now - timestamp} in ms. */
  static final class RecordArrival extends DoFn<Long, Void> {
    private final String runId;
    private final boolean recordLatency;

    RecordArrival(String runId, boolean recordLatency) {
      this.runId = runId;
      this.recordLatency = recordLatency;
    }

    @ProcessElement
    public void process(@Element Long n, @Timestamp Instant timestamp) {
      long latency = recordLatency ? System.currentTimeMillis() - timestamp.getMillis() : 0;
      ARRIVALS.get(runId).record(n, latency, recordLatency);
    }
  }

  /** Counts per key in {@code ValueState}; emits {@code KV(key, count)} when the count reaches the expected one. */
  static final class CountPerKey extends DoFn<KV<Long, Long>, KV<Long, Long>> {
    private final long n;
    private final long keys;
    private final String runId;

    @StateId("count")
    private final StateSpec<ValueState<Long>> countSpec = StateSpecs.value(VarLongCoder.of());

    CountPerKey(long n, long keys, String runId) {
      this.n = n;
      this.keys = keys;
      this.runId = runId;
    }

    @ProcessElement
    public void process(
        @Element KV<Long, Long> element,
        @StateId("count") ValueState<Long> count,
        OutputReceiver<KV<Long, Long>> out) {
      Long previous = count.read();
      long c = previous == null ? 1L : previous + 1;
      count.write(c);
      long expected = expectedCount(n, keys, element.getKey());
      if (c == expected) {
        out.output(KV.of(element.getKey(), c));
      } else if (c > expected) {
        problem(runId, "key " + element.getKey() + " counted " + c + " > " + expected + " (duplicates)");
      }
    }
  }

  /** Records each key's final count; a key emitted twice is a problem. */
  static final class RecordFinalCount extends DoFn<KV<Long, Long>, Void> {
    private final String runId;

    RecordFinalCount(String runId) {
      this.runId = runId;
    }

    @ProcessElement
    public void process(@Element KV<Long, Long> count) {
      Long previous = FINAL_COUNTS.get(runId).putIfAbsent(count.getKey(), count.getValue());
      if (previous != null) {
        problem(runId, "key " + count.getKey() + " emitted twice");
      }
    }
  }
}
