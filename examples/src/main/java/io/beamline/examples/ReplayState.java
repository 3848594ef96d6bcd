package io.beamline.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What {@link FlightDelaysStreaming} keeps beside the runner's files in the checkpoint directory
 * ({@value #FILE_NAME}): the replay and the topics the checkpoint belongs to, the embedded broker's
 * port, and how far the replayer may have got.
 *
 * <p>{@code declared} is written <i>before</i> the replayer sends records beyond it, so it is at
 * least the number of records (in replay order) that reached the input topic. A restarted job
 * first re-sends every record below it that its topic lacks (all of them on a new embedded
 * broker), without pacing, so that the offsets in the runner's checkpoint exist again before the
 * pipeline resumes.
 *
 * <p>Thread-safety: {@link #declare} is called by the replayer thread, everything else before it
 * starts.
 */
final class ReplayState {
  static final String FILE_NAME = "flights-replay.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  final String fingerprint;
  final int records;
  final String inputTopic;
  final String outputTopic;
  final String deadLetterTopic;
  /** The external cluster, or null for the embedded broker. */
  final String bootstrapServers;
  /** The embedded broker's port, or 0. */
  final int embeddedPort;
  final int maxOutOfOrdernessMinutes;
  final int minDailyFlights;
  private long declared;

  ReplayState(
      String fingerprint,
      int records,
      String inputTopic,
      String outputTopic,
      String deadLetterTopic,
      String bootstrapServers,
      int embeddedPort,
      int maxOutOfOrdernessMinutes,
      int minDailyFlights,
      long declared) {
    this.fingerprint = fingerprint;
    this.records = records;
    this.inputTopic = inputTopic;
    this.outputTopic = outputTopic;
    this.deadLetterTopic = deadLetterTopic;
    this.bootstrapServers = bootstrapServers;
    this.embeddedPort = embeddedPort;
    this.maxOutOfOrdernessMinutes = maxOutOfOrdernessMinutes;
    this.minDailyFlights = minDailyFlights;
    this.declared = declared;
  }

  /** The state in {@code checkpointDir}, or null if there is none. */
  static ReplayState load(Path checkpointDir) throws IOException {
    Path file = checkpointDir.resolve(FILE_NAME);
    if (!Files.exists(file)) {
      return null;
    }
    JsonNode n = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
    return new ReplayState(
        n.path("replayFingerprint").asText(),
        n.path("records").asInt(),
        n.path("inputTopic").asText(),
        n.path("outputTopic").asText(),
        n.path("deadLetterTopic").asText(),
        n.path("bootstrapServers").isNull() ? null : n.path("bootstrapServers").asText(),
        n.path("embeddedPort").asInt(),
        n.path("maxOutOfOrdernessMinutes").asInt(),
        n.path("minDailyFlights").asInt(),
        n.path("declared").asLong());
  }

  synchronized long declared() {
    return declared;
  }

  /** Records that up to {@code upTo} records (in replay order) may be sent, durably. */
  synchronized void declare(long upTo, Path checkpointDir) {
    if (upTo > declared) {
      declared = upTo;
      save(checkpointDir);
    }
  }

  /** Writes the file atomically (temporary file, then rename). */
  synchronized void save(Path checkpointDir) {
    ObjectNode n = JSON.createObjectNode();
    n.put("replayFingerprint", fingerprint);
    n.put("records", records);
    n.put("inputTopic", inputTopic);
    n.put("outputTopic", outputTopic);
    n.put("deadLetterTopic", deadLetterTopic);
    n.put("bootstrapServers", bootstrapServers);
    n.put("embeddedPort", embeddedPort);
    n.put("maxOutOfOrdernessMinutes", maxOutOfOrdernessMinutes);
    n.put("minDailyFlights", minDailyFlights);
    n.put("declared", declared);
    try {
      Files.createDirectories(checkpointDir);
      Path temp = checkpointDir.resolve("." + FILE_NAME + ".tmp");
      Files.writeString(temp, n.toPrettyString() + "\n", StandardCharsets.UTF_8);
      Files.move(
          temp,
          checkpointDir.resolve(FILE_NAME),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + checkpointDir.resolve(FILE_NAME), e);
    }
  }

  /**
   * Why a job with {@code current}'s settings cannot resume a checkpoint made with these, one
   * reason per line; empty if it can.
   */
  List<String> differences(ReplayState current) {
    List<String> why = new ArrayList<>();
    if (!fingerprint.equals(current.fingerprint)) {
      why.add(
          "the replayed records differ (another --input, --inputPartitions, --outOfOrderPercent or"
              + " --malformedRecords)");
    }
    differ(why, "--inputTopic", inputTopic, current.inputTopic);
    differ(why, "--outputTopic", outputTopic, current.outputTopic);
    differ(why, "--deadLetterTopic", deadLetterTopic, current.deadLetterTopic);
    differ(
        why,
        "--bootstrapServers",
        bootstrapServers == null ? "(embedded broker)" : bootstrapServers,
        current.bootstrapServers == null ? "(embedded broker)" : current.bootstrapServers);
    differ(
        why,
        "--maxOutOfOrdernessMinutes",
        Integer.toString(maxOutOfOrdernessMinutes),
        Integer.toString(current.maxOutOfOrdernessMinutes));
    differ(
        why,
        "--minDailyFlights",
        Integer.toString(minDailyFlights),
        Integer.toString(current.minDailyFlights));
    return why;
  }

  private static void differ(List<String> why, String option, String was, String is) {
    if (!Objects.equals(was, is)) {
      why.add(option + " was " + was + ", is " + is);
    }
  }
}
