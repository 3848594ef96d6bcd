package io.beamline.sdk.internal.checkpoint;

import io.beamline.sdk.CheckpointException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Durable, verifiable files of a checkpoint directory. Every file is a 20-byte header — magic
 * {@code BLCP}, format version (int), payload length (long), CRC32C of the payload (int) — and the
 * payload. {@link #write} makes a file appear whole or not at all: temp file in the same directory,
 * write, fsync, atomic rename, fsync of the directory (the protocol of Spark's
 * {@code CheckpointFileManager} and of Kafka's log segments). {@link #read} rejects a file whose
 * header, length or checksum does not match, naming it.
 */
public final class CheckpointFiles {
  private static final int MAGIC = 0x424C4350; // "BLCP"
  private static final int VERSION = 1;
  private static final int HEADER_BYTES = 4 + 4 + 8 + 4;

  private CheckpointFiles() {}

  /**
   * Writes {@code payload} to {@code file} atomically and durably, replacing any existing file.
   *
   * @throws IOException if the file system fails; {@code file} is then unchanged
   */
  public static void write(Path file, byte[] payload) throws IOException {
    write(file, payload, () -> {});
  }

  /**
   * As {@link #write(Path, byte[])}, calling {@code halfWritten} when half of the payload is in
   * the temp file (crash tests stop there).
   */
  public static void write(Path file, byte[] payload, Runnable halfWritten) throws IOException {
    Path dir = file.getParent();
    Files.createDirectories(dir);
    Path temp = dir.resolve("." + file.getFileName() + ".tmp");
    CRC32C crc = new CRC32C();
    crc.update(payload);
    ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
    header.putInt(MAGIC).putInt(VERSION).putLong(payload.length).putInt((int) crc.getValue());
    header.flip();
    try (FileChannel channel =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      writeFully(channel, header);
      writeFully(channel, ByteBuffer.wrap(payload, 0, payload.length / 2));
      halfWritten.run();
      writeFully(channel, ByteBuffer.wrap(payload, payload.length / 2, payload.length - payload.length / 2));
      channel.force(true);
    }
    try {
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("The file system of " + dir + " cannot rename atomically", e);
    }
    fsyncDirectory(dir);
  }

  /**
   * Reads and verifies a file written by {@link #write}.
   *
   * @throws NoSuchFileException if the file does not exist
   * @throws CheckpointException if the file is truncated, has a bad header or a checksum mismatch
   * @throws IOException if the file system fails
   */
  public static byte[] read(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length < HEADER_BYTES) {
      throw corrupt(file, "truncated: " + bytes.length + " bytes, shorter than its header");
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    int magic = buffer.getInt();
    int version = buffer.getInt();
    long length = buffer.getLong();
    int expectedCrc = buffer.getInt();
    if (magic != MAGIC) {
      throw corrupt(file, "not a Beamline checkpoint file (bad magic number)");
    }
    if (version != VERSION) {
      throw corrupt(file, "format version " + version + ", this runner reads version " + VERSION);
    }
    if (length != bytes.length - HEADER_BYTES) {
      throw corrupt(
          file,
          "truncated or extended: header says "
              + length
              + " payload bytes, file has "
              + (bytes.length - HEADER_BYTES));
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, HEADER_BYTES, (int) length);
    if ((int) crc.getValue() != expectedCrc) {
      throw corrupt(
          file,
          String.format(
              "checksum mismatch (CRC32C expected %08x, computed %08x)",
              expectedCrc, (int) crc.getValue()));
    }
    byte[] payload = new byte[(int) length];
    System.arraycopy(bytes, HEADER_BYTES, payload, 0, payload.length);
    return payload;
  }

  /** Makes the entries of {@code dir} (a rename, a new file) durable. */
  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some platforms cannot open directories; the rename is still atomic there.
    }
  }

  private static CheckpointException corrupt(Path file, String reason) {
    return new CheckpointException(
        file,
        "Checkpoint file "
            + file
            + " is corrupt: "
            + reason
            + ". Restore it from a backup, or start from an older epoch by deleting this epoch's"
            + " files, or use a new --checkpointDir.");
  }

  private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }
}
