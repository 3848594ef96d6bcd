package io.beamline.monitoring.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded web server: the JDK's {@code com.sun.net.httpserver} (no dependency, enough for
 * static files, JSON and a scrape endpoint; the page polls instead of needing WebSocket).
 *
 * <table>
 *   <caption>Routes (GET and HEAD only)</caption>
 *   <tr><td>{@code /}</td><td>the page</td></tr>
 *   <tr><td>{@code /ui/<file>}</td><td>the page's script and style (classpath {@code
 *       io/beamline/monitoring/ui/})</td></tr>
 *   <tr><td>{@code /webjars/<path>}</td><td>uPlot from its webjar (classpath {@code
 *       META-INF/resources/webjars/})</td></tr>
 *   <tr><td>{@code /api/job}, {@code /api/plan}, {@code /api/progress?after=&limit=}, {@code
 *       /api/alerts}, {@code /api/metrics}</td><td>{@link JsonApi}</td></tr>
 *   <tr><td>{@code /metrics}</td><td>Prometheus text format 0.0.4</td></tr>
 * </table>
 *
 * <p>Threading: requests are served one at a time on one daemon thread, which only reads the
 * monitor's snapshots, so a slow client never blocks the job.
 */
public final class UiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UiServer.class);
  /** Ports tried after a taken default, as Spark's {@code spark.port.maxRetries}. */
  static final int PORT_RETRIES = 16;
  private static final Pattern SAFE_PATH = Pattern.compile("[A-Za-z0-9._/-]+");
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "json", "application/json");

  private final HttpServer server;
  private final ExecutorService executor;
  private final JsonApi api;
  private final PrometheusRegistry registry;
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

  private UiServer(HttpServer server, JsonApi api, PrometheusRegistry registry) {
    this.server = server;
    this.api = api;
    this.registry = registry;
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "beamline-ui");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  /**
   * Binds and starts the server.
   *
   * @param port a port; -1 for any free one. A taken port is followed by the next {@value
   *     #PORT_RETRIES}
   * @throws IOException if no port could be bound (the message names the ports and the option)
   */
  public static UiServer start(String host, int port, JsonApi api, PrometheusRegistry registry)
      throws IOException {
    int first = port < 0 ? 0 : port;
    int last = port < 0 ? 0 : port + PORT_RETRIES;
    IOException failure = null;
    for (int p = first; p <= last; p++) {
      try {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, p), 0);
        UiServer ui = new UiServer(server, api, registry);
        server.start();
        return ui;
      } catch (BindException e) {
        failure = e;
      }
    }
    throw new IOException(
        "cannot bind the web UI to " + host + ", ports " + first + " to " + last
            + " are taken; choose another --uiPort, or --uiPort=0 to run without UI",
        failure);
  }

  /** The page's address, e.g. {@code http://127.0.0.1:4747/}. */
  public URI uri() {
    InetSocketAddress a = server.getAddress();
    String host = a.getHostString();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + a.getPort() + "/");
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!"GET".equals(method) && !"HEAD".equals(method)) {
        send(exchange, 405, "text/plain; charset=utf-8", bytes("GET only\n"));
        return;
      }
      String path = exchange.getRequestURI().getPath();
      Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
      switch (path) {
        case "/":
        case "/index.html":
          resource(exchange, "io/beamline/monitoring/ui/index.html");
          return;
        case "/metrics":
          send(exchange, 200, PrometheusTextFormatWriter.CONTENT_TYPE, prometheus());
          return;
        case "/api/job":
          json(exchange, api::job);
          return;
        case "/api/plan":
          json(exchange, api::plan);
          return;
        case "/api/progress":
          json(
              exchange,
              () ->
                  api.progress(
                      longParam(query, "after", 0), (int) longParam(query, "limit", MonitorState.HISTORY)));
          return;
        case "/api/alerts":
          json(exchange, api::alerts);
          return;
        case "/api/metrics":
          json(exchange, api::metrics);
          return;
        default:
          if (path.startsWith("/ui/") && safe(path)) {
            resource(exchange, "io/beamline/monitoring/ui/" + path.substring(4));
          } else if (path.startsWith("/webjars/") && safe(path)) {
            resource(exchange, "META-INF/resources" + path);
          } else {
            notFound(exchange);
          }
      }
    } catch (RuntimeException e) {
      LOG.debug("Web UI request {} failed", exchange.getRequestURI(), e);
      // the exchange is closed by try-with-resources; the client sees a reset or a 500
      try {
        send(exchange, 500, "text/plain; charset=utf-8", bytes(e + "\n"));
      } catch (IOException | RuntimeException ignored) {
        // headers were already sent
      }
    }
  }

  private byte[] prometheus() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    writer.write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
    return out.toByteArray();
  }

  private static boolean safe(String path) {
    return SAFE_PATH.matcher(path).matches() && !path.contains("..");
  }

  private static void json(HttpExchange exchange, Supplier<JsonNode> body) throws IOException {
    byte[] json = JsonApi.JSON.writeValueAsBytes(body.get());
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    send(exchange, 200, "application/json", json);
  }

  private static void resource(HttpExchange exchange, String name) throws IOException {
    try (InputStream in = UiServer.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        notFound(exchange);
        return;
      }
      String ext = name.substring(name.lastIndexOf('.') + 1);
      send(exchange, 200, TYPES.getOrDefault(ext, "application/octet-stream"), in.readAllBytes());
    }
  }

  private static void notFound(HttpExchange exchange) throws IOException {
    send(exchange, 404, "text/plain; charset=utf-8", bytes("not found\n"));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static long longParam(Map<String, String> query, String name, long fallback) {
    try {
      return query.containsKey(name) ? Long.parseLong(query.get(name)) : fallback;
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
