package io.beamline.monitoring.internal;

/**
 * An alert raised or cleared, for the page's alert log.
 *
 * @param name the alert
 * @param raised true if raised, false if cleared
 * @param epoch the epoch whose record changed it
 * @param timestamp that record's timestamp
 * @param message the alert's message when raised; for a clear, the message it had
 */
public record AlertEvent(String name, boolean raised, long epoch, String timestamp, String message) {}
