package io.beamline.examples;

import io.beamline.io.kafka.testing.EmbeddedKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The streaming job's own files next to the runner's in its checkpoint directory: the embedded
 * broker's log, where the output topics started, the replay state; starting the broker on them
 * and deleting them ({@code --fresh}).
 */
final class CheckpointFiles {
  /** The embedded broker's log, in the checkpoint directory so that a resumed run finds it. */
  static final String KAFKA_DIR = "kafka";
  /** Where the output and dead-letter topics stood when the job started (its first run). */
  static final String OUTPUT_START_FILE = "flights-output-start.json";
  /** What a checkpoint directory of this job may contain (besides temporary dot-files). */
  private static final Set<String> CHECKPOINT_ENTRIES =
      Set.of(
          "metadata", "offsets", "commits", "state", "progress.jsonl", ReplayState.FILE_NAME,
          KAFKA_DIR, OUTPUT_START_FILE);

  private CheckpointFiles() {}

  /**
   * Starts the embedded broker with its log in {@code checkpointDir}, on {@code port} when
   * resuming (the checkpoint's Kafka source names it), else ({@code port} 0) on a free port.
   *
   * @throws IllegalStateException if no broker can listen on {@code port}
   */
  static EmbeddedKafka startEmbedded(int port, Path checkpointDir) throws Exception {
    Path log = checkpointDir.resolve(KAFKA_DIR);
    if (port == 0) {
      return EmbeddedKafka.startPersistent(log, 0);
    }
    try {
      return EmbeddedKafka.startPersistent(log, port);
    } catch (Exception e) {
      throw new IllegalStateException(
          "Cannot resume checkpoint " + checkpointDir + ": its Kafka source reads from the"
              + " embedded broker at localhost:" + port + ", and no broker can listen there now ("
              + e + "). Is another run of this job still going? Stop it, or add --fresh to start"
              + " over.",
          e);
    }
  }

  /**
   * Deletes a checkpoint directory of this job.
   *
   * @return false if there was none
   * @throws IllegalStateException if {@code dir} holds anything a checkpoint of this job does not
   */
  static boolean deleteCheckpoint(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return false;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        if (!CHECKPOINT_ENTRIES.contains(name) && !name.startsWith(".")) {
          throw new IllegalStateException(
              "--fresh: " + dir + " holds " + name + ", which is not part of a checkpoint of this"
                  + " job; not deleting it");
        }
      }
    }
    deleteTree(dir);
    return true;
  }

  /** Deletes {@code dir} and everything under it. */
  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
