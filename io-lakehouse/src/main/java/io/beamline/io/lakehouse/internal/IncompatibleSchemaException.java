package io.beamline.io.lakehouse.internal;

/** A pipeline's schema cannot be written into a table; the message names the field. */
public final class IncompatibleSchemaException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String field;

  public IncompatibleSchemaException(String field, String reason) {
    super("field '" + field + "': " + reason);
    this.field = field;
  }

  /** The dotted path of the field, e.g. {@code stats.delay}. */
  public String field() {
    return field;
  }
}
