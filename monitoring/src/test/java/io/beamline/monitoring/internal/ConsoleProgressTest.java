package io.beamline.monitoring.internal;

import static org.junit.Assert.assertEquals;

import io.beamline.monitoring.BoundedProgress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Test;

public class ConsoleProgressTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final BoundedProgress progress = new BoundedProgress(nanos::get);

  @Test
  public void barShowsFractionRowsBytesElapsedAndEta() {
    progress.addEstimatedBytes(200L * 1024 * 1024);
    progress.addRows(1_234_567);
    progress.addBytes(50L * 1024 * 1024);
    nanos.addAndGet(12_000_000_000L); // 12 s: a quarter in 12 s leaves 36 s
    assertEquals(
        "[########......................]  25%  1,234,567 rows  50.0/200.0 MiB  0:12 elapsed  ETA 0:36",
        ConsoleProgress.renderBar(progress.snapshot()));
    assertEquals(
        "progress: 25%, 1,234,567 rows, 50.0/200.0 MiB, 0:12 elapsed, ETA 0:36",
        ConsoleProgress.renderLine(progress.snapshot()));
  }

  @Test
  public void unknownSizeHasNoPercentageNorEta() {
    progress.addEstimatedBytes(-1);
    progress.addRows(10);
    nanos.addAndGet(3_723_000_000_000L);
    assertEquals(
        "progress: 10 rows, 0.0 MiB, 1:02:03 elapsed, ETA ?",
        ConsoleProgress.renderLine(progress.snapshot()));
  }

  @Test
  public void plainLinesOnATickAndAFinalLineOnClose() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ConsoleProgress console =
        new ConsoleProgress(progress, new PrintStream(out, true, StandardCharsets.UTF_8), false);
    console.tick(); // nothing reported yet: prints nothing
    progress.addEstimatedBytes(100);
    progress.addBytes(100);
    progress.addRows(7);
    console.tick();
    nanos.addAndGet(2_000_000_000L);
    progress.finish();
    console.close();
    console.close();
    assertEquals(
        "progress: 100%, 7 rows, 0.0/0.0 MiB, 0:00 elapsed, ETA ?\n"
            + "progress: 100%, 7 rows, 0.0/0.0 MiB, 0:02 elapsed, done\n",
        out.toString(StandardCharsets.UTF_8));
  }
}
