package io.beamline.sdk.testing;

import io.beamline.sdk.BeamlinePipelineOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/**
 * The stateful streaming job the crash test kills: numbers from a {@link SequenceSource}, keyed by
 * {@code n mod 4}, into (a) a stateful DoFn emitting each key's running count and sum ({@code
 * S,key,count,sum}) and (b) per-key sums of 1-second event-time windows ({@code W,key,start,sum}).
 * Lines go to files in {@code --outputDir}, one file per bundle, each renamed into place whole.
 * With parallelism 2 every key's numbers come from one reader in order, so the output is a
 * function of the input alone, whatever the epochs; a replayed epoch writes the same lines again.
 */
public final class CrashTestPipeline {
  /**
   * Enough keys that the running totals outgrow an inline snapshot (16 KiB): restarts then read
   * state files and chains of deltas.
   */
  public static final int KEYS = 1000;

  /** The job's own options. */
  public interface Options extends BeamlinePipelineOptions {
    @Description("Directory for output files")
    String getOutputDir();

    void setOutputDir(String value);

    @Description("Numbers to read")
    Long getRecords();

    void setRecords(Long value);

    @Description("Numbers per second per reader")
    Long getRatePerSecond();

    void setRatePerSecond(Long value);
  }

  public static void main(String[] args) {
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    Pipeline p = Pipeline.create(options);
    PCollection<KV<Long, Long>> keyed =
        p.apply("Numbers", Read.from(new SequenceSource(options.getRecords(), options.getRatePerSecond())))
            .apply(
                "Key",
                MapElements.into(
                        TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                    .via(n -> KV.of(n % KEYS, n)));
    PCollection<String> totals = keyed.apply("Running totals", ParDo.of(new RunningTotalFn()));
    PCollection<String> windows =
        keyed
            .apply("Windows", Window.into(FixedWindows.of(Duration.standardSeconds(1))))
            .apply("Sum", Sum.longsPerKey())
            .apply("Format", ParDo.of(new FormatWindowFn()))
            .apply("Rewindow", Window.into(new GlobalWindows()));
    PCollectionList.of(totals)
        .and(windows)
        .apply(Flatten.pCollections())
        .apply("Write", ParDo.of(new WriteFilesFn(options.getOutputDir())));
    p.run().waitUntilFinish();
  }

  /** Running count and sum per key, in value state. */
  static final class RunningTotalFn extends DoFn<KV<Long, Long>, String> {
    @StateId("count")
    private final StateSpec<ValueState<Long>> countSpec = StateSpecs.value();

    @StateId("sum")
    private final StateSpec<ValueState<Long>> sumSpec = StateSpecs.value();

    @ProcessElement
    public void process(
        @Element KV<Long, Long> element,
        @StateId("count") ValueState<Long> count,
        @StateId("sum") ValueState<Long> sum,
        OutputReceiver<String> out) {
      long c = (count.read() == null ? 0 : count.read()) + 1;
      long s = (sum.read() == null ? 0 : sum.read()) + element.getValue();
      count.write(c);
      sum.write(s);
      out.output("S," + element.getKey() + "," + c + "," + s);
    }
  }

  static final class FormatWindowFn extends DoFn<KV<Long, Long>, String> {
    @ProcessElement
    public void process(
        @Element KV<Long, Long> element, BoundedWindow window, OutputReceiver<String> out) {
      out.output(
          "W,"
              + element.getKey()
              + ","
              + ((IntervalWindow) window).start().getMillis()
              + ","
              + element.getValue());
    }
  }

  /** One file per bundle, written to a temp name and renamed, so a file is whole or absent. */
  static final class WriteFilesFn extends DoFn<String, Void> {
    private final String dir;
    private transient List<String> lines;

    WriteFilesFn(String dir) {
      this.dir = dir;
    }

    @StartBundle
    public void start() {
      lines = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element String line) {
      lines.add(line);
    }

    @FinishBundle
    public void finish() {
      if (lines.isEmpty()) {
        return;
      }
      try {
        Path out = Path.of(dir);
        Files.createDirectories(out);
        String name = "part-" + UUID.randomUUID();
        Path temp = out.resolve("." + name);
        Files.write(temp, lines, StandardCharsets.UTF_8);
        Files.move(temp, out.resolve(name), StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** The lines the job must produce for {@code records} numbers. */
  public static TreeSet<String> expectedLines(long records) {
    TreeSet<String> lines = new TreeSet<>();
    long[] counts = new long[KEYS];
    long[] sums = new long[KEYS];
    java.util.Map<String, Long> windows = new java.util.TreeMap<>();
    for (long n = 0; n < records; n++) {
      int k = (int) (n % KEYS);
      counts[k]++;
      sums[k] += n;
      lines.add("S," + k + "," + counts[k] + "," + sums[k]);
      long start = SequenceSource.timestampOf(n).getMillis() / 1000 * 1000;
      windows.merge(k + "," + start, n, Long::sum);
    }
    windows.forEach((key, sum) -> lines.add("W," + key + "," + sum));
    return lines;
  }

  private CrashTestPipeline() {}
}
