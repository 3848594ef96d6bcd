package io.beamline.vr.conformance;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Watch;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * Issue 9, bug 5: polling transforms built on {@link Watch} emit each new file once and end when
 * their termination condition says so. Deterministic without sleeping: two files exist before the
 * run, a step downstream of the match writes a third one when it sees the first, and the
 * termination condition ({@link AfterPollsWithNewOutput}) stops after the second poll that found
 * something new, which can only be the one that found the third file.
 */
@RunWith(Parameterized.class)
public class WatchTest implements Serializable {
  private static final Duration POLL = Duration.millis(50);

  @Parameterized.Parameters(name = "{0}")
  public static List<ConformanceRunner> runners() {
    return ConformanceRunner.all();
  }

  @Rule public final transient TestPipeline p;
  @Rule public final transient TemporaryFolder folder = new TemporaryFolder();

  public WatchTest(ConformanceRunner runner) {
    this.p = runner.pipeline();
  }

  private String dir() throws IOException {
    Path dir = folder.getRoot().toPath();
    write(dir, "a.txt", "a1\na2\n");
    write(dir, "b.txt", "b1\n");
    return dir.toString();
  }

  @Test(timeout = 120_000)
  public void fileIoMatchContinuously() throws IOException {
    String dir = dir();
    PCollection<String> names =
        p.apply(
                FileIO.match()
                    .filepattern(dir + "/*.txt")
                    .continuously(POLL, new AfterPollsWithNewOutput<>(2)))
            .apply(
                MapElements.into(TypeDescriptors.strings())
                    .via((MatchResult.Metadata m) -> m.resourceId().getFilename()))
            .apply(ParDo.of(new WriteWhenSeen(dir, "a.txt", "c.txt", "c1\n")));
    PAssert.that(names).containsInAnyOrder("a.txt", "b.txt", "c.txt");
    p.run();
  }

  @Test(timeout = 120_000)
  public void textIoWatchForNewFiles() throws IOException {
    String dir = dir();
    PCollection<String> lines =
        p.apply(
                TextIO.read()
                    .from(dir + "/*.txt")
                    .watchForNewFiles(POLL, new AfterPollsWithNewOutput<>(2)))
            .apply(ParDo.of(new WriteWhenSeen(dir, "a1", "c.txt", "c1\nc2\n")));
    PAssert.that(lines).containsInAnyOrder("a1", "a2", "b1", "c1", "c2");
    p.run();
  }

  @Test(timeout = 120_000)
  public void fileIoMatchContinuouslyUntilNothingNewForASecond() throws IOException {
    String dir = dir();
    PCollection<String> names =
        p.apply(
                FileIO.match()
                    .filepattern(dir + "/*.txt")
                    .continuously(
                        POLL, Watch.Growth.afterTimeSinceNewOutput(Duration.standardSeconds(1))))
            .apply(
                MapElements.into(TypeDescriptors.strings())
                    .via((MatchResult.Metadata m) -> m.resourceId().getFilename()));
    PAssert.that(names).containsInAnyOrder("a.txt", "b.txt");
    p.run();
  }

  @Test(timeout = 120_000)
  public void textIoWatchForNewFilesForASecond() throws IOException {
    String dir = dir();
    PCollection<String> lines =
        p.apply(
            TextIO.read()
                .from(dir + "/*.txt")
                .watchForNewFiles(POLL, Watch.Growth.afterTotalOf(Duration.standardSeconds(1))));
    PAssert.that(lines).containsInAnyOrder("a1", "a2", "b1");
    p.run();
  }

  private static void write(Path dir, String name, String contents) {
    try {
      // written beside the pattern, then moved into it, so no poll sees it half written
      Path temporary = dir.resolve(name + ".tmp");
      Files.writeString(temporary, contents, StandardCharsets.UTF_8);
      Files.move(temporary, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes file {@code name} into {@code dir} when it sees {@code trigger}; passes everything on. */
  static final class WriteWhenSeen extends DoFn<String, String> {
    private final String dir;
    private final String trigger;
    private final String name;
    private final String contents;

    WriteWhenSeen(String dir, String trigger, String name, String contents) {
      this.dir = dir;
      this.trigger = trigger;
      this.name = name;
      this.contents = contents;
    }

    @ProcessElement
    public void process(@Element String element, OutputReceiver<String> out) {
      if (element.equals(trigger)) {
        write(Path.of(dir), name, contents);
      }
      out.output(element);
    }
  }

  /** Stops polling after {@code polls} polls that found new output; does not look at the clock. */
  static final class AfterPollsWithNewOutput<InputT>
      implements Watch.Growth.TerminationCondition<InputT, Integer> {
    private final int polls;

    AfterPollsWithNewOutput(int polls) {
      this.polls = polls;
    }

    @Override
    public Coder<Integer> getStateCoder() {
      return VarIntCoder.of();
    }

    @Override
    public Integer forNewInput(Instant now, @Nullable InputT input) {
      return 0;
    }

    @Override
    public Integer onSeenNewOutput(Instant now, Integer state) {
      return state + 1;
    }

    @Override
    public boolean canStopPolling(Instant now, Integer state) {
      return state >= polls;
    }

    @Override
    public String toString(Integer state) {
      return "AfterPollsWithNewOutput{" + state + " of " + polls + "}";
    }
  }
}
