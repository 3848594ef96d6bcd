package io.beamline.sdk.internal.state;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RocksDB backend's working directories: {@code beamline-rocksdb-<pid>-<random>} in {@code
 * java.io.tmpdir}. The run deletes its own at the end; one left by a killed JVM (SIGKILL runs no
 * cleanup) is deleted by the next run that finds its process gone. The state itself is never lost
 * this way: what survives a crash is the RocksDB checkpoint in the checkpoint directory.
 */
public final class RocksDbDirs {
  private static final Logger LOG = LoggerFactory.getLogger(RocksDbDirs.class);
  private static final String PREFIX = "beamline-rocksdb-";

  private RocksDbDirs() {}

  public static Path create() throws IOException {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    deleteOrphans(tmp);
    return Files.createTempDirectory(tmp, PREFIX + ProcessHandle.current().pid() + "-");
  }

  private static void deleteOrphans(Path tmp) {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, PREFIX + "*")) {
      for (Path dir : dirs) {
        String rest = dir.getFileName().toString().substring(PREFIX.length());
        int dash = rest.indexOf('-');
        long pid;
        try {
          pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
        } catch (NumberFormatException e) {
          continue; // not ours, or from a version without the pid
        }
        if (ProcessHandle.of(pid).isEmpty()) {
          MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
          LOG.info("Deleted {}, left by process {} which is gone", dir, pid);
        }
      }
    } catch (IOException e) {
      LOG.warn("Could not clean orphaned RocksDB directories in {}", tmp, e);
    }
  }
}
