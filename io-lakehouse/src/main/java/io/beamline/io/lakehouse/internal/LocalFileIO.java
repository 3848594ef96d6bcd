package io.beamline.io.lakehouse.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.RuntimeIOException;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.io.SupportsBulkOperations;
import org.apache.iceberg.io.SupportsPrefixOperations;

/**
 * An Iceberg {@code FileIO} over the local file system with no Hadoop underneath (iceberg-core has
 * none: {@code HadoopFileIO} needs a Hadoop {@code FileSystem}, {@code ResolvingFileIO} routes
 * {@code file:} to it). Load it with the catalog property {@code io-impl}.
 *
 * <p>Locations are absolute paths, with or without a {@code file:} prefix. Output files are
 * written through a buffered channel and forced to disk when closed (catalog property {@code
 * beamline.fsync}, default {@code true}), so a committed table's data, manifests and metadata
 * survive a machine crash as the runner's checkpoint files do. {@link #create} refuses an existing
 * file, as Iceberg's contract asks. Prefix operations (listing, deleting a directory tree) serve
 * snapshot expiry and orphan cleanup. Stateless apart from its properties: safe for concurrent use.
 */
public class LocalFileIO implements SupportsPrefixOperations, SupportsBulkOperations {
  private static final long serialVersionUID = 1L;

  /** Catalog property: force output files to disk on close ({@code true} by default). */
  public static final String FSYNC = "beamline.fsync";

  private Map<String, String> properties = Map.of();
  private boolean fsync = true;

  /** For {@code io-impl}: properties come through {@link #initialize}. */
  public LocalFileIO() {}

  @Override
  public void initialize(Map<String, String> props) {
    this.properties = Map.copyOf(props);
    this.fsync = Boolean.parseBoolean(props.getOrDefault(FSYNC, "true"));
  }

  @Override
  public Map<String, String> properties() {
    return properties;
  }

  /** The local path of an Iceberg location: {@code file:/x}, {@code file:///x} or {@code /x}. */
  public static Path pathOf(String location) {
    String p = location;
    if (p.startsWith("file://")) {
      p = p.substring("file://".length());
    } else if (p.startsWith("file:")) {
      p = p.substring("file:".length());
    }
    return Path.of(p);
  }

  @Override
  public InputFile newInputFile(String location) {
    return org.apache.iceberg.Files.localInput(pathOf(location).toFile());
  }

  @Override
  public OutputFile newOutputFile(String location) {
    return new LocalOutput(location, pathOf(location), fsync);
  }

  @Override
  public void deleteFile(String location) {
    try {
      Files.deleteIfExists(pathOf(location));
    } catch (IOException e) {
      throw new RuntimeIOException(e, "Cannot delete %s", location);
    }
  }

  @Override
  public void deleteFiles(Iterable<String> locations) {
    for (String location : locations) {
      deleteFile(location);
    }
  }

  /** Every regular file under the directory {@code prefix} (recursively), or the file itself. */
  @Override
  public Iterable<FileInfo> listPrefix(String prefix) {
    Path root = pathOf(prefix);
    if (!Files.exists(root)) {
      return List.of();
    }
    List<FileInfo> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (Files.isRegularFile(p)) {
          files.add(
              new FileInfo(
                  p.toString(), Files.size(p), Files.getLastModifiedTime(p).toMillis()));
        }
      }
    } catch (NoSuchFileException e) {
      // deleted while listing: what was seen is returned
    } catch (IOException e) {
      throw new RuntimeIOException(e, "Cannot list %s", prefix);
    }
    return files;
  }

  @Override
  public void deletePrefix(String prefix) {
    Path root = pathOf(prefix);
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new RuntimeIOException(e, "Cannot delete %s", prefix);
    }
  }

  /** An output file; the stream forces the file to disk on close when {@code fsync}. */
  private static final class LocalOutput implements OutputFile {
    private final String location;
    private final Path path;
    private final boolean fsync;

    LocalOutput(String location, Path path, boolean fsync) {
      this.location = location;
      this.path = path;
      this.fsync = fsync;
    }

    @Override
    public PositionOutputStream create() {
      return open(StandardOpenOption.CREATE_NEW);
    }

    @Override
    public PositionOutputStream createOrOverwrite() {
      return open(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private PositionOutputStream open(StandardOpenOption... options) {
      try {
        Files.createDirectories(path.getParent());
        List<StandardOpenOption> all = new ArrayList<>(List.of(options));
        all.add(StandardOpenOption.WRITE);
        FileChannel channel = FileChannel.open(path, all.toArray(new StandardOpenOption[0]));
        return new ChannelStream(channel, fsync);
      } catch (FileAlreadyExistsException e) {
        throw new AlreadyExistsException("File already exists: %s", location);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot create " + location, e);
      }
    }

    @Override
    public String location() {
      return location;
    }

    @Override
    public InputFile toInputFile() {
      return org.apache.iceberg.Files.localInput(path.toFile());
    }
  }

  /** A buffered stream over a channel that knows its position and syncs on close. */
  private static final class ChannelStream extends PositionOutputStream {
    private final FileChannel channel;
    private final OutputStream out;
    private final boolean fsync;
    private long pos;
    private boolean closed;

    ChannelStream(FileChannel channel, boolean fsync) {
      this.channel = channel;
      this.out = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
      this.fsync = fsync;
    }

    @Override
    public long getPos() {
      return pos;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      pos++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      pos += len;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try {
        out.flush();
        if (fsync) {
          channel.force(true);
        }
      } finally {
        channel.close();
      }
    }
  }
}
