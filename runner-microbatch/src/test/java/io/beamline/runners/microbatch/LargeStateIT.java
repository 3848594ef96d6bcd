package io.beamline.runners.microbatch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamline.runners.microbatch.testing.LargeStatePipeline;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * With {@code --stateBackend=rocksdb}, a job whose keyed state is more than five times its heap
 * ({@code -Xmx256m}, 1.4 GB of state) completes, reading every key's state back intact, and is
 * checkpointed along the way.
 */
public class LargeStateIT {
  private static final long HEAP_BYTES = 256L << 20;
  private static final long KEYS = 22_000;
  private static final int VALUE_BYTES = 64 * 1024;

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void stateOfFiveTimesTheHeapCompletesOnRocksDb() throws Exception {
    Path dir = tmp.getRoot().toPath();
    Path stdout = dir.resolve("stdout.log");
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                LargeStatePipeline.class.getName(),
                "--runner=MicroBatchRunner",
                "--parallelism=2",
                "--stateBackend=rocksdb",
                "--maxRecordsPerBatch=4000",
                "--records=" + KEYS,
                "--valueBytes=" + VALUE_BYTES,
                "--checkpointDir=" + dir.resolve("checkpoint"))
            .redirectOutput(stdout.toFile())
            .redirectError(dir.resolve("stderr.log").toFile())
            .start();
    assertTrue("timed out", process.waitFor(10, TimeUnit.MINUTES));
    List<String> err = Files.readAllLines(dir.resolve("stderr.log"), StandardCharsets.UTF_8);
    assertEquals(
        String.join("\n", err.subList(Math.max(0, err.size() - 30), err.size())),
        0,
        process.exitValue());
    List<String> out = Files.readAllLines(stdout, StandardCharsets.UTF_8);
    long stateBytes = value(out, "STATE-BYTES ");
    assertThat(stateBytes, greaterThan(5 * HEAP_BYTES));
    assertEquals(KEYS, value(out, "CHECKED "));
  }

  private static long value(List<String> lines, String prefix) {
    return lines.stream()
        .filter(l -> l.startsWith(prefix))
        .mapToLong(l -> Long.parseLong(l.substring(prefix.length()).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + prefix + "in " + lines));
  }
}
