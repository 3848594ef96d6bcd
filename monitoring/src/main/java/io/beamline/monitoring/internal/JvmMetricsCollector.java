package io.beamline.monitoring.internal;

import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * The Prometheus Java client's JVM and process metrics ({@code jvm_memory_used_bytes}, {@code
 * jvm_gc_collection_seconds}, {@code jvm_threads_current}, {@code process_cpu_seconds_total}, …),
 * registered on the first scrape: registering them costs about a second of MXBean lookups, which
 * a job that is never scraped should not pay at its start. Native-memory metrics are left out
 * (they need {@code -XX:NativeMemoryTracking} and take most of that second).
 *
 * <p>Threading: {@link #collect()} runs on the HTTP server's single thread.
 */
final class JvmMetricsCollector implements MultiCollector {
  private PrometheusRegistry registry;

  @Override
  public MetricSnapshots collect() {
    if (registry == null) {
      PrometheusRegistry r = new PrometheusRegistry();
      JvmThreadsMetrics.builder().register(r);
      JvmBufferPoolMetrics.builder().register(r);
      JvmClassLoadingMetrics.builder().register(r);
      JvmCompilationMetrics.builder().register(r);
      JvmGarbageCollectorMetrics.builder().register(r);
      JvmMemoryMetrics.builder().register(r);
      JvmRuntimeInfoMetric.builder().register(r);
      ProcessMetrics.builder().register(r);
      registry = r;
    }
    return registry.scrape();
  }
}
