package io.beamline.io.lakehouse.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.AtomicCoder;

/**
 * Java serialization of a {@link FileBatch} (Iceberg's {@code DataFile}s are serializable, metrics
 * included), length-prefixed. Not consistent with equals ({@code DataFile} has identity equality),
 * so Beam compares encodings: DirectRunner's mutation checks then work. An {@link AtomicCoder}:
 * equal to any other instance and printed by its class name, which keeps the runner's plan
 * fingerprint stable across restarts.
 */
public final class FileBatchCoder extends AtomicCoder<FileBatch> {
  private static final long serialVersionUID = 1L;
  private static final FileBatchCoder INSTANCE = new FileBatchCoder();

  public static FileBatchCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(FileBatch value, OutputStream out) throws IOException {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
      o.writeObject(value);
    }
    ByteArrayCoder.of().encode(bytes.toByteArray(), out);
  }

  @Override
  public FileBatch decode(InputStream in) throws IOException {
    byte[] bytes = ByteArrayCoder.of().decode(in);
    try (ObjectInputStream o = new ObjectInputStream(new java.io.ByteArrayInputStream(bytes))) {
      return (FileBatch) o.readObject();
    } catch (ClassNotFoundException e) {
      throw new CoderException("Cannot decode a FileBatch", e);
    }
  }

  @Override
  public void verifyDeterministic() throws NonDeterministicException {
    throw new NonDeterministicException(this, "Java serialization");
  }
}
