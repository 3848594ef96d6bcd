package io.beamline.benchmarks;

import io.beamline.examples.FlightDelays;
import io.beamline.examples.FlightDelaysOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The benchmark pipelines, built by name.
 *
 * <ul>
 *   <li>{@code sum-per-key-100}, {@code sum-per-key-1m} (generally {@code sum-per-key-<N>}, N with an optional
 *       {@code k}/{@code m} suffix): {@code GenerateSequence.from(0).to(N)} → {@code KV.of(x % 1000, x)} →
 *       {@code Sum.longsPerKey()} → {@code Count.globally()}. The count must be {@code min(N, 1000)} and every
 *       per-key sum must match its closed form.
 *   <li>{@code group-per-key-<N>}: the same, but the sums come from {@code GroupByKey} and a {@code MapElements}
 *       over each group, so all N elements cross the shuffle (no combiner lifting).
 *   <li>{@code flights}: the flight-delay job of {@code beamline-examples} ({@link FlightDelays#build}) on its
 *       bundled 20,000 flights, writing its three JSON-lines outputs to a fresh temporary {@code --output}
 *       directory per run.
 * </ul>
 *
 * <p>Every pipeline is verified after it finished, so that a runner that drops or duplicates data fails the
 * benchmark instead of being timed, and {@link BuiltPipeline#verify()} returns a short result fingerprint that the
 * harness compares across runners. For sum-per-key, two small sinks record the count and the per-key sums in
 * JVM-wide maps (the runners compared here all execute in the JVM that submits the pipeline); flights is checked
 * from the files it wrote.
 */
public final class BenchmarkPipelines {

  public static final String FLIGHTS = "flights";

  /** The pipelines the harness runs when {@code --pipelines} is not given. */
  public static final List<String> DEFAULT_PIPELINES = List.of("sum-per-key-100", "sum-per-key-1m", FLIGHTS);

  static final int KEYS = 1000;

  private static final Pattern SUM_PER_KEY = Pattern.compile("(sum|group)-per-key-(\\d+)([km]?)");

  /** What the count-verifying stage of each sum-per-key run saw, keyed by run id. */
  static final Map<String, Long> OBSERVED_COUNTS = new ConcurrentHashMap<>();

  /** What the sums-verifying stage of each sum-per-key run saw (key → sum), keyed by run id. */
  static final Map<String, Map<Long, Long>> OBSERVED_SUMS = new ConcurrentHashMap<>();

  /** Duplicates seen by the verifying stages, keyed by run id. */
  static final Map<String, List<String>> VERIFY_PROBLEMS = new ConcurrentHashMap<>();

  private BenchmarkPipelines() {}

  /** Checks a finished run and returns its result fingerprint; throws if the result is wrong. */
  @FunctionalInterface
  interface Verifier {
    String verify() throws Exception;
  }

  /** A constructed pipeline plus the check to run once it has finished. */
  public static final class BuiltPipeline {
    private final Pipeline pipeline;
    private final String description;
    private final Verifier verifier;
    private final Runnable cleanup;

    BuiltPipeline(Pipeline pipeline, String description, Verifier verifier, Runnable cleanup) {
      this.pipeline = pipeline;
      this.description = description;
      this.verifier = verifier;
      this.cleanup = cleanup;
    }

    public Pipeline pipeline() {
      return pipeline;
    }

    public String description() {
      return description;
    }

    /**
     * Throws if the finished pipeline did not produce the expected result; otherwise returns a short fingerprint
     * of the result, equal on every correct runner.
     */
    public String verify() {
      try {
        return verifier.verify();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(description + ": verification failed: " + e, e);
      } finally {
        cleanup();
      }
    }

    /** Releases what the run left behind (temporary output); safe to call more than once. */
    public void cleanup() {
      cleanup.run();
    }
  }

  /** Returns true if {@code name} is a pipeline this class can build. */
  public static boolean isKnown(String name) {
    return FLIGHTS.equals(name) || SUM_PER_KEY.matcher(name).matches();
  }

  /** Builds pipeline {@code name} with {@code options}. */
  public static BuiltPipeline build(String name, PipelineOptions options) {
    if (FLIGHTS.equals(name)) {
      return flights(options);
    }
    Matcher m = SUM_PER_KEY.matcher(name);
    if (m.matches()) {
      long n = parseCount(m.group(2), m.group(3));
      return sumPerKey(n, options, name, m.group(1).equals("group"));
    }
    throw new IllegalArgumentException(
        "unknown pipeline '" + name + "'; known: " + FLIGHTS
            + ", sum-per-key-<N> (e.g. sum-per-key-100, sum-per-key-1m), group-per-key-<N>");
  }

  static long parseCount(String digits, String suffix) {
    long n = Long.parseLong(digits);
    switch (suffix.toLowerCase(Locale.ROOT)) {
      case "k":
        return n * 1_000L;
      case "m":
        return n * 1_000_000L;
      default:
        return n;
    }
  }

  // ------------------------------------------------------------------------------------------------ sum-per-key

  /**
   * GenerateSequence(0..n) → KV(x % 1000, x) → Sum.longsPerKey() → Count.globally(), verified.
   *
   * <p>Two small sinks feed the verification: one after {@code Count.globally()} (the count must be {@code
   * min(n, 1000)}, emitted exactly once) and one on the per-key sums (every key's sum must match its closed form),
   * so a runner that loses, duplicates or mis-combines elements fails. The sums branch sees at most 1,000
   * elements; it is part of the timed pipeline on every runner alike.
   */
  public static BuiltPipeline sumPerKey(long n, PipelineOptions options, String name) {
    return sumPerKey(n, options, name, false);
  }

  /**
   * As {@link #sumPerKey(long, PipelineOptions, String)}; with {@code viaGroupByKey} the per-key sums
   * are computed by {@code GroupByKey} and a {@code MapElements} over each group instead of {@code
   * Sum.longsPerKey()}, so every element crosses the shuffle (no combiner lifting).
   */
  public static BuiltPipeline sumPerKey(
      long n, PipelineOptions options, String name, boolean viaGroupByKey) {
    String runId = name + "/" + UUID.randomUUID();
    long expected = Math.min(n, KEYS);
    String description = name + " (N=" + n + ")";
    Pipeline p = Pipeline.create(options);
    PCollection<KV<Long, Long>> keyed =
        p.apply("Generate", GenerateSequence.from(0).to(n))
            .apply(
                "KeyByMod1000",
                MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                    .via((Long x) -> KV.of(x % KEYS, x)));
    PCollection<KV<Long, Long>> sums =
        viaGroupByKey
            ? keyed
                .apply("GroupPerKey", GroupByKey.create())
                .apply(
                    "SumGroups",
                    MapElements.into(
                            TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                        .via(
                            (KV<Long, Iterable<Long>> kv) -> {
                              long sum = 0;
                              for (long x : kv.getValue()) {
                                sum += x;
                              }
                              return KV.of(kv.getKey(), sum);
                            }))
            : keyed.apply("SumPerKey", Sum.longsPerKey());
    sums.apply("CountKeys", Count.globally()).apply("VerifyCount", ParDo.of(new RecordCount(runId)));
    sums.apply("VerifySums", ParDo.of(new RecordSum(runId)));
    Verifier verifier =
        () -> {
          List<String> problems = VERIFY_PROBLEMS.getOrDefault(runId, List.of());
          if (!problems.isEmpty()) {
            throw new IllegalStateException(description + ": " + problems);
          }
          Long observed = OBSERVED_COUNTS.get(runId);
          if (observed == null) {
            throw new IllegalStateException(
                description + ": the verifying stage never saw the Count.globally() result (data lost?)");
          }
          if (observed != expected) {
            throw new IllegalStateException(
                description + ": expected " + expected + " keys, the pipeline counted " + observed);
          }
          Map<Long, Long> observedSums = OBSERVED_SUMS.getOrDefault(runId, Map.of());
          if (observedSums.size() != expected) {
            throw new IllegalStateException(
                description + ": expected " + expected + " per-key sums, saw " + observedSums.size());
          }
          long total = 0;
          for (long key = 0; key < expected; key++) {
            Long sum = observedSums.get(key);
            long want = expectedSum(n, key);
            if (sum == null || sum != want) {
              throw new IllegalStateException(
                  description + ": sum for key " + key + " is " + sum + ", expected " + want);
            }
            total += sum;
          }
          return "keys=" + observed + ",total=" + total;
        };
    Runnable cleanup =
        () -> {
          OBSERVED_COUNTS.remove(runId);
          OBSERVED_SUMS.remove(runId);
          VERIFY_PROBLEMS.remove(runId);
        };
    return new BuiltPipeline(p, description, verifier, cleanup);
  }

  /** Sum of all x in [0, n) with x % 1000 == key. */
  static long expectedSum(long n, long key) {
    if (key >= n) {
      return 0;
    }
    long m = (n - 1 - key) / KEYS + 1; // how many such x
    return m * key + KEYS * (m * (m - 1) / 2);
  }

  private static void problem(String runId, String message) {
    VERIFY_PROBLEMS.computeIfAbsent(runId, k -> Collections.synchronizedList(new ArrayList<>())).add(message);
  }

  /** Records the single value of its input under the run id. */
  static final class RecordCount extends DoFn<Long, Void> {
    private final String runId;

    RecordCount(String runId) {
      this.runId = runId;
    }

    @ProcessElement
    public void process(@Element Long count) {
      Long previous = OBSERVED_COUNTS.putIfAbsent(runId, count);
      if (previous != null) {
        problem(runId, "Count.globally() emitted more than one element (" + previous + ", " + count + ")");
      }
    }
  }

  /** Records each key's sum under the run id. */
  static final class RecordSum extends DoFn<KV<Long, Long>, Void> {
    private final String runId;

    RecordSum(String runId) {
      this.runId = runId;
    }

    @ProcessElement
    public void process(@Element KV<Long, Long> sum) {
      Long previous =
          OBSERVED_SUMS.computeIfAbsent(runId, k -> new ConcurrentHashMap<>()).putIfAbsent(sum.getKey(), sum.getValue());
      if (previous != null) {
        problem(runId, "key " + sum.getKey() + " emitted more than once by Sum.longsPerKey()");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------- flights

  /**
   * The flight-delay job of {@code beamline-examples} on its bundled input, with {@code --output} set to a fresh
   * temporary directory. Construction (which reads the bundled 20,000 rows in the driver) is part of the timed run.
   */
  public static BuiltPipeline flights(PipelineOptions options) {
    Path output;
    try {
      output = Files.createTempDirectory("beamline-bench-flights-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    FlightDelaysOptions flightOptions = options.as(FlightDelaysOptions.class);
    flightOptions.setOutput(output.toString());
    Pipeline p = Pipeline.create(flightOptions);
    try {
      FlightDelays.build(p, flightOptions);
    } catch (IOException e) {
      deleteRecursively(output);
      throw new UncheckedIOException(e);
    }
    String description = FLIGHTS + " (bundled 20k flights, output " + output + ")";
    Verifier verifier =
        () -> {
          List<String> hourly = outputLines(output.resolve(FlightDelays.HOURLY_DIR));
          List<String> dailyTop = outputLines(output.resolve(FlightDelays.DAILY_TOP_DIR));
          List<String> deadLetter = outputLines(output.resolve(FlightDelays.DEAD_LETTER_DIR));
          if (hourly.isEmpty() || dailyTop.isEmpty()) {
            throw new IllegalStateException(
                description + ": empty output (hourly-by-origin " + hourly.size() + " lines, daily-top10 "
                    + dailyTop.size() + " lines)");
          }
          return "hourly=" + hourly.size() + ",dailyTop=" + dailyTop.size() + ",deadLetter=" + deadLetter.size()
              + ",sha256=" + fingerprint(hourly, dailyTop, deadLetter);
        };
    return new BuiltPipeline(p, description, verifier, () -> deleteRecursively(output));
  }

  /** All lines of the {@code part*} files in {@code dir}, sorted (the order within a file is unspecified). */
  static List<String> outputLines(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("output directory " + dir + " was not written");
    }
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        if (f.getFileName().toString().startsWith("part")) {
          lines.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
        }
      }
    }
    lines.removeIf(String::isEmpty);
    lines.sort(Comparator.naturalOrder());
    return lines;
  }

  @SafeVarargs
  static String fingerprint(List<String>... outputs) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (List<String> output : outputs) {
        for (String line : output) {
          sha.update(line.getBytes(StandardCharsets.UTF_8));
          sha.update((byte) '\n');
        }
        sha.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: it is a temporary directory
    }
  }
}
