package io.beamline.benchmarks;

import com.sun.management.ThreadMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a Prometheus server and an open page do to a running job's web UI: fetches {@code /metrics},
 * {@code /api/job} and {@code /api/progress?after=} once a second on its own thread, and accounts for
 * what the UI costs the job in the job's own JVM: the CPU time and allocated bytes of the UI server's
 * threads (the JDK server's {@code HTTP-Dispatcher} and the {@code beamline-ui} handler), next to the
 * bytes every thread allocated and the collectors' time, all read with {@link ThreadMXBean} and
 * {@link GarbageCollectorMXBean}s after every round (a thread's figures are kept at their largest
 * reading, so threads that end are counted up to their last round). The client's own CPU time (this
 * thread and the HTTP client's) is kept apart: in production the scraper runs elsewhere.
 *
 * <p>Threading: {@link #start} and {@link #stop} from the benchmark's thread; the figures are read
 * after {@link #stop}.
 */
final class UiScraper {
  private static final long PERIOD_MILLIS = 1000; // Prometheus' default scrape interval and the page's
  /** A request the server does not answer in time fails the round, so {@link #stop} never waits long. */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final URI ui;
  private final Thread thread;
  private final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
  private final Map<Long, Long> serverCpu = new ConcurrentHashMap<>();
  private final Map<Long, Long> serverAllocated = new ConcurrentHashMap<>();
  private final Map<Long, Long> clientCpu = new ConcurrentHashMap<>();
  private final Map<Long, Long> allAllocated = new ConcurrentHashMap<>();
  private final long gcMillisAtStart = collectorMillis();
  private volatile long gcMillisAtLastRound = gcMillisAtStart;
  private volatile long rounds;
  private volatile long busyNanos;
  private volatile boolean stopped;

  UiScraper(URI ui) {
    this.ui = ui;
    this.thread = new Thread(this::loop, "ui-scraper");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Stops scraping and waits for the thread to end. */
  void stop() throws InterruptedException {
    stopped = true;
    thread.interrupt();
    thread.join();
  }

  private void loop() {
    HttpClient http = HttpClient.newHttpClient();
    long after = 0;
    while (!stopped) {
      try {
        long t0 = System.nanoTime();
        for (String path : List.of("metrics", "api/job", "api/progress?after=" + after)) {
          String body =
              http.send(
                      HttpRequest.newBuilder(ui.resolve(path)).timeout(REQUEST_TIMEOUT).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body();
          if (path.startsWith("api/progress")) {
            after = BenchmarkWorker.JSON.readTree(body).path("lastSeq").asLong(after);
          }
        }
        busyNanos += System.nanoTime() - t0;
        rounds++;
        account();
        Thread.sleep(PERIOD_MILLIS);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        try { // the server stops when the run ends
          Thread.sleep(PERIOD_MILLIS);
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
  }

  private void account() {
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      long id = t.getId();
      if (t == Thread.currentThread() || t.getName().startsWith("HttpClient-")) {
        keep(clientCpu, id, threads.getThreadCpuTime(id));
        continue; // the client is not part of the job
      }
      long allocated = threads.getThreadAllocatedBytes(id);
      keep(allAllocated, id, allocated);
      if (t.getName().startsWith("beamline-ui") || t.getName().startsWith("HTTP-Dispatcher")) {
        keep(serverCpu, id, threads.getThreadCpuTime(id));
        keep(serverAllocated, id, allocated);
      }
    }
    gcMillisAtLastRound = collectorMillis();
  }

  private static void keep(Map<Long, Long> figures, long threadId, long value) {
    if (value > 0) {
      figures.merge(threadId, value, Math::max);
    }
  }

  private static long collectorMillis() {
    long total = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      total += Math.max(0, gc.getCollectionTime());
    }
    return total;
  }

  private static long sum(Map<Long, Long> figures) {
    return figures.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Rounds of the three fetches made. */
  long rounds() {
    return rounds;
  }

  /**
   * Nanoseconds the rounds took, request to last byte of the three responses: the server's work plus
   * loopback, plus waiting for a core.
   */
  long busyNanos() {
    return busyNanos;
  }

  /** CPU nanoseconds of the UI server's threads. */
  long serverCpuNanos() {
    return sum(serverCpu);
  }

  /** CPU nanoseconds of the scraping client (this thread and the HTTP client's). */
  long clientCpuNanos() {
    return sum(clientCpu);
  }

  /** Bytes the UI server's threads allocated. */
  long serverAllocatedBytes() {
    return sum(serverAllocated);
  }

  /** Bytes all threads of the JVM allocated, as far as the rounds saw them (the job's and the UI's). */
  long allAllocatedBytes() {
    return sum(allAllocated);
  }

  /** Milliseconds the collectors reported between the start and the last round. */
  long gcMillis() {
    return gcMillisAtLastRound - gcMillisAtStart;
  }
}
