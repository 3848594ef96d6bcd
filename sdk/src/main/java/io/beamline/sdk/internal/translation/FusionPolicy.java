package io.beamline.sdk.internal.translation;

/**
 * Whether the translator fuses steps that need no shuffle (stateless ParDo, Window.Assign, the
 * view writer) into the stage of their input. A runner chooses; a fused step passes elements by
 * reference, an unfused one reads them, encoded, from a forward exchange.
 */
public enum FusionPolicy {
  /** Fuse every step that needs no shuffle (the default, what every runner uses to execute). */
  FUSE,
  /**
   * Every step in a stage of its own behind a forward exchange: each operator can be driven (and
   * its output observed) alone, as the operator test harness does.
   */
  NEVER
}
