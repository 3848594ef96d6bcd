package io.beamline.sdk;

/**
 * Thrown by a Beamline runner's {@code run()} when the pipeline uses a transform or a feature that
 * the runner does not execute. The pipeline is rejected before any element is processed; nothing
 * is executed partially.
 *
 * <p>The message names the transform (its full name in the pipeline), the feature, and when known
 * the issue or option that would make it run.
 */
public class UnsupportedTransformException extends UnsupportedOperationException {
  private final String transformName;

  /**
   * @param transformName full name of the rejected transform in the pipeline, e.g. {@code
   *     "ReadFromKafka/Read(KafkaUnboundedSource)"}
   * @param reason what is unsupported about it, in one sentence
   */
  public UnsupportedTransformException(String transformName, String reason) {
    super(String.format("Transform '%s' is not supported: %s", transformName, reason));
    this.transformName = transformName;
  }

  /** Full name of the rejected transform in the pipeline. */
  public String getTransformName() {
    return transformName;
  }
}
