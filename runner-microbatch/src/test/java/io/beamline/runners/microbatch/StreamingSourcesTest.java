package io.beamline.runners.microbatch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.beamline.sdk.testing.SequenceSource;
import io.beamline.sdk.CheckpointException;
import io.beamline.sdk.EpochProgress;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Unbounded sources as epochs: the hybrid trigger's record budget, checkpoint directory layout,
 * resuming a finished run, corrupt files and changed plans.
 */
public class StreamingSourcesTest {
  private static final long RECORDS = 1_000;

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** Options of a test run; checkpointed in a fresh temporary directory unless one is given. */
  private MicroBatchPipelineOptions options(String... args) {
    MicroBatchPipelineOptions options =
        PipelineOptionsFactory.fromArgs(args).as(MicroBatchPipelineOptions.class);
    if (options.getCheckpointDir() == null) {
      try {
        options.setCheckpointDir(tmp.newFolder().toString());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    options.setRunner(TestMicroBatchRunner.class);
    options.setParallelism(2);
    options.setBatchInterval("20ms");
    return options;
  }

  /** Counts elements into a metric, so a second run can show it processed nothing. */
  static final class CountingFn extends DoFn<Long, Long> {
    @ProcessElement
    public void process(@Element Long n, OutputReceiver<Long> out) {
      Metrics.counter(StreamingSourcesTest.class, "processed").inc();
      out.output(n);
    }
  }

  /** Sums per key (n mod 4) per 1-second window of the sequence. */
  private static PCollection<KV<Long, Long>> windowedSums(Pipeline p) {
    return p.apply("Sequence", Read.from(new SequenceSource(RECORDS)))
        .apply("Count", ParDo.of(new CountingFn()))
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
        .apply(
            "Key",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(n -> KV.of(n % 4, n)))
        .apply(Sum.longsPerKey());
  }

  private static List<KV<Long, Long>> expectedSums() {
    java.util.Map<KV<Long, Long>, Long> sums = new java.util.TreeMap<>(
        java.util.Comparator.comparing((KV<Long, Long> kv) -> kv.getKey())
            .thenComparing(KV::getValue));
    for (long n = 0; n < RECORDS; n++) {
      sums.merge(KV.of(n / 100, n % 4), n, Long::sum); // 100 numbers per 1 s window
    }
    return sums.entrySet().stream().map(e -> KV.of(e.getKey().getValue(), e.getValue())).toList();
  }

  private static long processed(PipelineResult result) {
    long total = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(StreamingSourcesTest.class, "processed"))
                    .build())
            .getCounters()) {
      total += c.getCommitted();
    }
    return total;
  }

  @Test
  public void unboundedSourceRunsInEpochsWithinTheRecordBudget() {
    Pipeline p = Pipeline.create(options("--maxRecordsPerBatch=100"));
    PAssert.that(windowedSums(p)).containsInAnyOrder(expectedSums());
    MicroBatchPipelineResult result = (MicroBatchPipelineResult) p.run();

    List<EpochProgress> progress = result.recentProgress();
    long read = progress.stream().mapToLong(EpochProgress::inputRows).sum();
    assertEquals(RECORDS, read);
    assertThat(progress.size(), greaterThanOrEqualTo((int) (RECORDS / 100)));
    for (EpochProgress epoch : progress) {
      assertThat(epoch.inputRows(), lessThanOrEqualTo(100L));
    }
    assertEquals("+inf", result.lastProgress().watermark());
    assertEquals(RECORDS, processed(result));
  }

  @Test
  public void checkpointedRunWritesTheLogsAndAFinishedRunResumesWithNothingToDo()
      throws IOException {
    Path dir = tmp.getRoot().toPath().resolve("cp");
    Pipeline first = Pipeline.create(options("--maxRecordsPerBatch=200", "--checkpointDir=" + dir));
    windowedSums(first);
    MicroBatchPipelineResult result = (MicroBatchPipelineResult) first.run();
    assertEquals(RECORDS, processed(result));
    long epochs = result.lastProgress().epoch() + 1;

    assertTrue(Files.exists(dir.resolve("metadata")));
    assertEquals(epochs, count(dir.resolve("commits")));
    assertEquals(epochs, count(dir.resolve("offsets")));
    // the state of these few keys is small: it is inlined in the commit, not a state/N/heap file
    String lastCommit =
        new String(
            io.beamline.sdk.internal.checkpoint.CheckpointFiles.read(
                dir.resolve("commits").resolve(Long.toString(epochs - 1))),
            java.nio.charset.StandardCharsets.UTF_8);
    assertThat(
        lastCommit,
        anyOf(containsString("\"heapState\""), containsString("\"heapDelta\"")));
    assertTrue(!Files.exists(dir.resolve("state")) || count(dir.resolve("state")) == 0);
    assertTrue(Files.size(dir.resolve("progress.jsonl")) > 0);
    assertThat(result.lastProgress().runId().isEmpty(), is(false));

    Pipeline second = Pipeline.create(options("--maxRecordsPerBatch=200", "--checkpointDir=" + dir));
    windowedSums(second);
    MicroBatchPipelineResult resumed = (MicroBatchPipelineResult) second.run();
    assertEquals(0, processed(resumed));
    assertEquals(result.lastProgress().runId(), resumed.lastProgress().runId());
    assertThat(resumed.lastProgress().epoch(), greaterThanOrEqualTo(epochs));
  }

  @Test
  public void committedEpochsWhoseProgressLineWasLostGetOneOnRestart() throws IOException {
    Path dir = tmp.getRoot().toPath().resolve("cp");
    Pipeline first = Pipeline.create(options("--maxRecordsPerBatch=200", "--checkpointDir=" + dir));
    windowedSums(first);
    first.run();
    Path file = dir.resolve("progress.jsonl");
    List<String> lines = Files.readAllLines(file);
    assertThat(lines.size(), greaterThanOrEqualTo(5));
    // as if the process died after commits/N of the last three epochs, before their lines
    Files.write(file, lines.subList(0, lines.size() - 3));

    Pipeline second = Pipeline.create(options("--maxRecordsPerBatch=200", "--checkpointDir=" + dir));
    windowedSums(second);
    second.run();
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    java.util.Map<Long, Integer> linesPerEpoch = new java.util.TreeMap<>();
    int recovered = 0;
    long recoveredRows = 0;
    for (String line : Files.readAllLines(file)) {
      com.fasterxml.jackson.databind.JsonNode node = json.readTree(line);
      linesPerEpoch.merge(node.path("epoch").asLong(), 1, Integer::sum);
      if (node.path("recovered").asBoolean()) {
        recovered++;
        recoveredRows += node.path("inputRows").asLong();
      }
    }
    assertEquals(3, recovered);
    long committed = count(dir.resolve("commits"));
    assertEquals(committed, linesPerEpoch.size()); // every retained committed epoch has a line
    for (int n : linesPerEpoch.values()) {
      assertEquals(1, n); // and only one
    }
    long loggedRows = 0;
    for (String line : lines.subList(lines.size() - 3, lines.size())) {
      loggedRows += json.readTree(line).path("inputRows").asLong();
    }
    assertEquals(loggedRows, recoveredRows);
  }

  @Test
  public void corruptCommitFileIsDetectedAndNamed() throws IOException {
    Path dir = tmp.getRoot().toPath().resolve("cp");
    Pipeline first = Pipeline.create(options("--maxRecordsPerBatch=300", "--checkpointDir=" + dir));
    windowedSums(first);
    MicroBatchPipelineResult result = (MicroBatchPipelineResult) first.run();
    Path last = dir.resolve("commits").resolve(Long.toString(result.lastProgress().epoch()));
    try (RandomAccessFile file = new RandomAccessFile(last.toFile(), "rw")) {
      file.seek(file.length() - 1);
      int b = file.read();
      file.seek(file.length() - 1);
      file.write(b ^ 0xFF);
    }
    Pipeline second = Pipeline.create(options("--checkpointDir=" + dir));
    windowedSums(second);
    RuntimeException e = assertThrows(RuntimeException.class, second::run);
    CheckpointException cause = causeOf(e, CheckpointException.class);
    assertThat(cause.getMessage(), containsString(last.toString()));
    assertThat(cause.getMessage(), containsString("checksum mismatch"));
  }

  @Test
  public void changedPlanIsExplained() throws IOException {
    Path dir = tmp.getRoot().toPath().resolve("cp");
    Pipeline first = Pipeline.create(options("--checkpointDir=" + dir));
    windowedSums(first);
    first.run();

    Pipeline changed = Pipeline.create(options("--checkpointDir=" + dir));
    windowedSums(changed).apply("A new count", Count.perElement());
    RuntimeException e = assertThrows(RuntimeException.class, changed::run);
    CheckpointException cause = causeOf(e, CheckpointException.class);
    assertThat(cause.getMessage(), containsString("The pipeline changed"));
    assertThat(cause.getMessage(), containsString("+ step A new count"));
  }

  @Test
  public void generateSequenceWithARateRuns() {
    Pipeline p =
        Pipeline.create(options("--streaming=true", "--checkpointDir=" + tmp.getRoot().toPath().resolve("cp")));
    PCollection<Long> count =
        p.apply(GenerateSequence.from(0).to(300).withRate(3000, Duration.standardSeconds(1)))
            .apply(Count.globally());
    PAssert.thatSingleton(count).isEqualTo(300L);
    p.run();
  }

  @Test
  public void triggerOnceReadsWhatIsAvailableAndStops() {
    Pipeline p = Pipeline.create(options("--trigger=once", "--maxRecordsPerBatch=10"));
    p.apply("Sequence", Read.from(new SequenceSource(RECORDS))).apply(ParDo.of(new CountingFn()));
    MicroBatchPipelineResult result = (MicroBatchPipelineResult) p.run();
    assertEquals(RECORDS, processed(result)); // once ignores the budget
    assertThat(result.recentProgress().size(), lessThanOrEqualTo(2));
  }

  @Test
  public void triggerAvailableNowKeepsTheBudget() {
    Pipeline p = Pipeline.create(options("--trigger=availableNow", "--maxRecordsPerBatch=100"));
    p.apply("Sequence", Read.from(new SequenceSource(RECORDS))).apply(ParDo.of(new CountingFn()));
    MicroBatchPipelineResult result = (MicroBatchPipelineResult) p.run();
    assertEquals(RECORDS, processed(result));
    for (EpochProgress epoch : result.recentProgress()) {
      assertThat(epoch.inputRows(), lessThanOrEqualTo(100L));
    }
  }

  private static long count(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> !f.getFileName().toString().startsWith(".")).count();
    }
  }

  private static <T extends Throwable> T causeOf(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    throw new AssertionError("No " + type.getSimpleName() + " in " + t, t);
  }
}
