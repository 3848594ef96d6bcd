package io.beamline.sdk.internal.checkpoint;

import io.beamline.sdk.testing.CrashPoint;
import io.beamline.sdk.testing.CrashPoints;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.beamline.sdk.CheckpointException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The checkpoint directory of a streaming run, laid out as Spark Structured Streaming's:
 *
 * <pre>
 * metadata          run id, plan fingerprint and the plan's transforms (JSON)
 * offsets/N         what epoch N reads, written durably before epoch N is processed
 * commits/N         written once epoch N's outputs and state are durable
 * state/N/heap      keyed state, timers, watermarks after epoch N
 * </pre>
 *
 * Every file goes through {@link CheckpointFiles} (atomic, checksummed). An epoch is committed iff
 * {@code commits/N} exists; on restart the run resumes from the state of the last committed epoch
 * and, if {@code offsets/N+1} exists, replays epoch N+1 over exactly those offsets.
 *
 * <p>Threading: driver thread only.
 */
public final class CheckpointLog {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final String runId;
  /** Epochs before this one are purged (-1: nothing purged yet in this process). */
  private long purgedBefore = -1;
  /** An epoch before the window whose state directory is kept because it is live, or -1. */
  private long retainedStateEpoch = -1;

  private CheckpointLog(Path dir, String runId) {
    this.dir = dir;
    this.runId = runId;
  }

  /**
   * Opens {@code dir}, creating it and its metadata for a new run, or checking that the metadata
   * of an existing run describes the same plan.
   *
   * @param plan one line per transform of the plan (stage, step name, coders), in plan order
   * @throws CheckpointException if a file is corrupt, or the plan differs from the one the
   *     directory was written by (the message lists the transforms that differ)
   * @throws IOException if the file system fails
   */
  public static CheckpointLog open(Path dir, List<String> plan) throws IOException {
    Path metadata = dir.resolve("metadata");
    if (!Files.exists(metadata)) {
      String runId = UUID.randomUUID().toString();
      ObjectNode node = JSON.createObjectNode();
      node.put("runId", runId);
      node.put("createdAt", java.time.Instant.now().toString());
      node.put("planFingerprint", PlanFingerprint.of(plan));
      ArrayNode transforms = node.putArray("plan");
      plan.forEach(transforms::add);
      CheckpointFiles.write(metadata, JSON.writeValueAsBytes(node));
      return new CheckpointLog(dir, runId);
    }
    ObjectNode node = (ObjectNode) readJson(metadata);
    String fingerprint = node.path("planFingerprint").asText();
    if (!fingerprint.equals(PlanFingerprint.of(plan))) {
      List<String> written = new ArrayList<>();
      node.path("plan").forEach(t -> written.add(t.asText()));
      throw new CheckpointException(metadata, PlanFingerprint.explainChange(dir, written, plan));
    }
    return new CheckpointLog(dir, node.path("runId").asText());
  }

  /** The id of the run that created the directory; stable across restarts. */
  public String runId() {
    return runId;
  }

  public Path directory() {
    return dir;
  }

  /**
   * The last committed epoch, if any.
   *
   * @throws CheckpointException if that epoch's commit file is corrupt
   */
  public OptionalLong lastCommitted() throws IOException {
    OptionalLong last = latest("commits");
    if (last.isPresent()) {
      readJson(dir.resolve("commits").resolve(Long.toString(last.getAsLong())));
    }
    return last;
  }

  /**
   * Reads {@code commits/N}.
   *
   * @throws CheckpointException if it is corrupt
   */
  public ObjectNode readCommit(long epoch) throws IOException {
    return (ObjectNode) readJson(dir.resolve("commits").resolve(Long.toString(epoch)));
  }

  /** Whether {@code offsets/N} exists. */
  public boolean hasOffsets(long epoch) {
    return Files.exists(offsetsFile(epoch));
  }

  /** Writes {@code offsets/N} durably; call before epoch N is processed. */
  public void writeOffsets(long epoch, ObjectNode offsets) throws IOException {
    CheckpointFiles.write(
        offsetsFile(epoch),
        JSON.writeValueAsBytes(offsets),
        () -> CrashPoints.reached(CrashPoint.MID_OFFSETS, epoch));
    CrashPoints.reached(CrashPoint.AFTER_OFFSETS, epoch);
  }

  /**
   * Reads {@code offsets/N}.
   *
   * @throws CheckpointException if it is corrupt
   */
  public ObjectNode readOffsets(long epoch) throws IOException {
    return (ObjectNode) readJson(offsetsFile(epoch));
  }

  /**
   * Writes {@code commits/N}: from now on epoch N is committed.
   *
   * @param holdsState the commit carries the epoch's state snapshot (small heap state is inlined):
   *     the crash point {@code midSnapshot} is then half-way through this file
   */
  public void writeCommit(long epoch, ObjectNode commit, boolean holdsState) throws IOException {
    CrashPoints.reached(CrashPoint.BEFORE_COMMIT, epoch);
    CheckpointFiles.write(
        dir.resolve("commits").resolve(Long.toString(epoch)),
        JSON.writeValueAsBytes(commit),
        () -> {
          if (holdsState) {
            CrashPoints.reached(CrashPoint.MID_SNAPSHOT, epoch);
          }
        });
  }

  /** Writes {@code state/N/<name>}. */
  public void writeState(long epoch, String name, byte[] payload) throws IOException {
    CheckpointFiles.write(
        stateDir(epoch).resolve(name),
        payload,
        () -> CrashPoints.reached(CrashPoint.MID_SNAPSHOT, epoch));
  }

  /**
   * Reads {@code state/N/<name>}.
   *
   * @throws CheckpointException if it is missing or corrupt
   */
  public byte[] readState(long epoch, String name) throws IOException {
    Path file = stateDir(epoch).resolve(name);
    try {
      return CheckpointFiles.read(file);
    } catch (NoSuchFileException e) {
      throw new CheckpointException(
          file,
          "Checkpoint file "
              + file
              + " is missing although epoch "
              + epoch
              + " is committed; the checkpoint directory was modified by hand");
    }
  }

  /** The directory of epoch N's state snapshot (other backends put files of their own there). */
  public Path stateDir(long epoch) {
    return dir.resolve("state").resolve(Long.toString(epoch));
  }

  /**
   * Deletes offsets, commits and state of epochs older than the {@code retain} most recent
   * committed ones (Spark's {@code minBatchesToRetain}), except the state directory of {@code
   * liveStateEpoch}, which the last commit refers to (a state that did not change is not written
   * again).
   */
  public void purge(long lastCommitted, int retain, long liveStateEpoch) throws IOException {
    long oldestKept = lastCommitted - Math.max(1, retain) + 1;
    if (oldestKept <= purgedBefore) {
      return;
    }
    for (String log : List.of("offsets", "commits", "state")) {
      // The first purge of a run lists the directories; later ones delete the epochs that fell
      // out of the window since, without listing.
      List<Long> candidates = new ArrayList<>();
      if (purgedBefore < 0) {
        candidates.addAll(epochs(log));
      } else {
        for (long e = purgedBefore; e < oldestKept; e++) {
          candidates.add(e);
        }
      }
      for (long epoch : candidates) {
        if (epoch < oldestKept && !(log.equals("state") && epoch == liveStateEpoch)) {
          Path path = dir.resolve(log).resolve(Long.toString(epoch));
          if (Files.exists(path)) {
            deleteRecursively(path);
          }
        }
      }
    }
    if (retainedStateEpoch >= 0
        && retainedStateEpoch != liveStateEpoch
        && retainedStateEpoch < oldestKept) {
      deleteRecursively(stateDir(retainedStateEpoch)); // kept while it was live, now replaced
    }
    retainedStateEpoch = liveStateEpoch < oldestKept ? liveStateEpoch : -1;
    purgedBefore = oldestKept;
  }

  public Path offsetsFile(long epoch) {
    return dir.resolve("offsets").resolve(Long.toString(epoch));
  }

  /** The file {@code commits/N}. */
  public Path commitFile(long epoch) {
    return dir.resolve("commits").resolve(Long.toString(epoch));
  }

  private OptionalLong latest(String log) throws IOException {
    return epochs(log).stream().mapToLong(Long::longValue).max();
  }

  private List<Long> epochs(String log) throws IOException {
    Path logDir = dir.resolve(log);
    List<Long> epochs = new ArrayList<>();
    if (!Files.isDirectory(logDir)) {
      return epochs;
    }
    try (Stream<Path> files = Files.list(logDir)) {
      files.forEach(
          f -> {
            String name = f.getFileName().toString();
            if (name.chars().allMatch(Character::isDigit) && !name.isEmpty()) {
              epochs.add(Long.parseLong(name));
            }
          });
    }
    epochs.sort(Comparator.naturalOrder());
    return epochs;
  }

  private static com.fasterxml.jackson.databind.JsonNode readJson(Path file) throws IOException {
    byte[] payload;
    try {
      payload = CheckpointFiles.read(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new CheckpointException(
          file,
          "Checkpoint file "
              + file
              + " is missing although a later file refers to it; the checkpoint directory was"
              + " modified by hand or purged with a smaller --minEpochsToRetain by another run",
          e);
    }
    try {
      return JSON.readTree(payload);
    } catch (IOException e) {
      throw new CheckpointException(
          file,
          "Checkpoint file " + file + " is corrupt: not valid JSON ("
              + new String(payload, 0, Math.min(payload.length, 80), StandardCharsets.UTF_8)
              + "…)",
          e);
    }
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      List<Path> all = new ArrayList<>(walk.toList());
      all.sort(Comparator.reverseOrder());
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Plan fingerprints and the explanation of a changed plan. */
  static final class PlanFingerprint {
    private PlanFingerprint() {}

    static String of(List<String> plan) {
      try {
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        for (String line : plan) {
          sha.update(line.getBytes(StandardCharsets.UTF_8));
          sha.update((byte) '\n');
        }
        return java.util.HexFormat.of().formatHex(sha.digest());
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    static String explainChange(Path dir, List<String> written, List<String> now) {
      Set<String> removed = new LinkedHashSet<>(written);
      now.forEach(removed::remove);
      Set<String> added = new LinkedHashSet<>(now);
      written.forEach(added::remove);
      StringBuilder sb =
          new StringBuilder("The pipeline changed since checkpoint directory ")
              .append(dir)
              .append(" was written, so its state and offsets cannot be resumed.");
      if (!removed.isEmpty()) {
        sb.append("\n  In the checkpoint, not in this pipeline:");
        removed.forEach(line -> sb.append("\n    - ").append(line));
      }
      if (!added.isEmpty()) {
        sb.append("\n  In this pipeline, not in the checkpoint:");
        added.forEach(line -> sb.append("\n    + ").append(line));
      }
      if (removed.isEmpty() && added.isEmpty()) {
        sb.append("\n  The same transforms appear in a different order.");
      }
      sb.append(
          "\n  Run the original pipeline on this directory, or start afresh with a new"
              + " --checkpointDir.");
      return sb.toString();
    }
  }
}
