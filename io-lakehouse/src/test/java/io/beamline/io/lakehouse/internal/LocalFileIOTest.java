package io.beamline.io.lakehouse.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.PositionOutputStream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The local FileIO: create refuses existing files, positions, prefixes, file: locations. */
public class LocalFileIOTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void writesReadsListsAndDeletes() throws Exception {
    LocalFileIO io = new LocalFileIO();
    io.initialize(Map.of());
    Path root = tmp.getRoot().toPath();
    String a = "file:" + root.resolve("t/data/a.bin");
    try (PositionOutputStream out = io.newOutputFile(a).create()) {
      out.write(new byte[] {1, 2, 3});
      out.write(4);
      assertEquals(4, out.getPos());
    }
    assertArrayEquals(new byte[] {1, 2, 3, 4}, Files.readAllBytes(root.resolve("t/data/a.bin")));
    assertEquals(4, io.newInputFile(a).getLength());
    assertThrows(AlreadyExistsException.class, () -> io.newOutputFile(a).create());
    try (PositionOutputStream out = io.newOutputFile(a).createOrOverwrite()) {
      out.write(9);
    }
    assertEquals(1, io.newInputFile(a).getLength());
    String b = root.resolve("t/data/sub/b.bin").toString();
    try (PositionOutputStream out = io.newOutputFile(b).create()) {
      out.write(1);
    }
    List<String> listed = new ArrayList<>();
    for (FileInfo f : io.listPrefix(root.resolve("t").toString())) {
      listed.add(root.relativize(Path.of(f.location())).toString());
    }
    listed.sort(null);
    assertEquals(List.of("t/data/a.bin", "t/data/sub/b.bin"), listed);
    io.deleteFile(a);
    assertFalse(Files.exists(root.resolve("t/data/a.bin")));
    io.deletePrefix(root.resolve("t").toString());
    assertFalse(Files.exists(root.resolve("t")));
  }
}
