package io.beamline.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@link FlightDelaysStreaming} did: the whole job (every run on its checkpoint) and this run.
 *
 * @param complete true if every window was written and the job ended by itself; false if it was
 *     stopped (Ctrl-C) before
 * @param resumed true if the run resumed an existing checkpoint
 * @param epochs epochs the job processed, over all its runs (from the checkpoint's {@code
 *     progress.jsonl}); {@code firstEpoch}/{@code lastEpoch} their numbers (-1 if none)
 * @param rowsRead records the pipeline read from the input topic, over all runs
 * @param lateRowsDropped elements the pipeline dropped as late, over all runs (0 when the
 *     watermark allowed for the replay's out-of-orderness)
 * @param watermark the pipeline's watermark after the last epoch
 * @param recordsSent records the replayer wrote to the input topic in this run
 * @param recordsAlreadyInTopic records the input topic held when the run started
 * @param replay the replay (flights, delayed flights, malformed records)
 * @param hourly the hourly-by-origin results in the output topic since the job started (its first
 *     run): every run's, which the embedded broker keeps in the checkpoint directory
 * @param dailyTop the daily-top10 results, likewise
 * @param deadLetters the dead letters since the job started, as JSON
 * @param busiestDay summary of {@code hourly} and {@code dailyTop}
 * @param checkpointDir the job's checkpoint directory; null on RealtimeRunner, where the job does
 *     not resume yet (the run is then the whole job, and {@code epochs} is 0)
 * @param rowsReadThisRun records the pipeline read in this run
 */
public record StreamingSummary(
    boolean complete,
    boolean resumed,
    int epochs,
    long firstEpoch,
    long lastEpoch,
    long rowsRead,
    long lateRowsDropped,
    String watermark,
    long recordsSent,
    long recordsAlreadyInTopic,
    int flights,
    int delayedFlights,
    int malformedRecords,
    List<String> hourly,
    List<String> dailyTop,
    List<String> deadLetters,
    String busiestDay,
    Duration elapsed,
    boolean embeddedBroker,
    String bootstrapServers,
    String inputTopic,
    String outputTopic,
    String deadLetterTopic,
    @org.checkerframework.checker.nullness.qual.Nullable Path checkpointDir,
    long rowsReadThisRun) {

  /** The summary printed at the end of a run. */
  public String describe() {
    List<String> lines = new ArrayList<>();
    lines.add(
        String.format(
            Locale.ROOT,
            complete
                ? "Flight delays (streaming) finished in %.1f s: every window is in the output topic."
                : "Flight delays (streaming) stopped after %.1f s; run it again to resume.",
            elapsed.toMillis() / 1000.0));
    lines.add(
        String.format(
            Locale.ROOT,
            "  replayed   %,6d records into %s this run (%,d were there already); the replay:"
                + " %,d flights, %,d of them sent late, %,d malformed, 1 end marker per partition",
            recordsSent, inputTopic, recordsAlreadyInTopic, flights, delayedFlights,
            malformedRecords));
    lines.add(
        checkpointDir == null
            ? String.format(
                Locale.ROOT,
                "  processed  %,6d records, every stage running continuously, watermark %s",
                rowsRead,
                watermark)
            : String.format(
                Locale.ROOT,
                "  processed  %,6d records in %d epochs%s (the whole job), %,d late rows dropped,"
                    + " watermark %s",
                rowsRead,
                epochs,
                epochs == 0 ? "" : " (" + firstEpoch + " to " + lastEpoch + ")",
                lateRowsDropped,
                watermark));
    lines.add(
        String.format(
            Locale.ROOT,
            "  written    %,6d window results to %s (the whole job): %,d %s, %,d %s",
            hourly.size() + dailyTop.size(), outputTopic, hourly.size(), FlightDelays.HOURLY_DIR,
            dailyTop.size(), FlightDelays.DAILY_TOP_DIR));
    lines.add(
        String.format(
            Locale.ROOT,
            "  dead       %,6d records in %s (the whole job)%s",
            deadLetters.size(), deadLetterTopic,
            deadLetters.isEmpty()
                ? ""
                : ", e.g. " + shorten(describeDeadLetter(deadLetters.get(0)))));
    if (!hourly.isEmpty()) {
      lines.add("Busiest day: " + busiestDay);
    }
    if (resumed && complete && recordsSent == 0 && rowsReadThisRun == 0) {
      lines.add(
          "Nothing was left to do: the checkpoint is of a run that had already written every"
              + " window. Add --fresh to replay the flights from the start.");
    }
    if (checkpointDir == null) {
      lines.add(
          "No checkpoint to resume: on RealtimeRunner the job checkpoints into a directory of this"
              + " run only; running it again starts over"
              + (embeddedBroker ? " on a new embedded broker." : "."));
      return String.join(System.lineSeparator(), lines);
    }
    lines.add(
        "Checkpoint: " + checkpointDir + " (progress.jsonl there has one JSON line per epoch)");
    if (embeddedBroker) {
      lines.add(
          "The embedded broker at " + bootstrapServers + " stopped with the job; its log is in the"
              + " checkpoint directory. Running the job again resumes both (--fresh starts over).");
    } else {
      lines.add(
          "Topics on " + bootstrapServers + ": read the results with isolation.level=read_committed."
              + " Running the job again resumes from the checkpoint (--fresh starts over).");
    }
    return String.join(System.lineSeparator(), lines);
  }

  private static String shorten(String text) {
    return text.length() <= 160 ? text : text.substring(0, 157) + "...";
  }

  /** A dead-letter record in one line: where it came from and why it failed. */
  private static String describeDeadLetter(String json) {
    try {
      var node = new ObjectMapper().readTree(json);
      return node.path("topic").asText() + "-" + node.path("partition").asInt() + "@"
          + node.path("offset").asLong() + ": " + node.path("error").asText();
    } catch (IOException e) {
      return json;
    }
  }
}
