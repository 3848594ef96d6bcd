package io.beamline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A running child JVM of {@link KafkaBenchmarks} and its JSON lines. */
final class KafkaChild implements AutoCloseable {
  final Process process;
  final Writer stdin;
  final BlockingQueue<JsonNode> lines = new LinkedBlockingQueue<>();
  final Thread reader;
  final PrintStream out;

  KafkaChild(List<String> cmd, File log, PrintStream out) throws IOException {
    this.out = out;
    process = new ProcessBuilder(cmd).redirectError(log).start();
    stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    reader = new Thread(this::read, "kafka-child-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private void read() {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        JsonNode node = BenchmarkWorker.jsonLine(line);
        if (node == null) {
          out.println("   [stdout] " + line);
        } else {
          lines.add(node);
        }
      }
    } catch (IOException e) {
      out.println("   reading child output failed: " + e);
    }
  }

  void send(ObjectNode command) throws IOException {
    stdin.write(command.toString() + "\n");
    stdin.flush();
  }

  /** The next line of {@code type}; an {@code error} line or the child's exit fails. */
  JsonNode await(String type, long timeout, TimeUnit unit) throws Exception {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException("no '" + type + "' from the child within " + timeout + " " + unit);
      }
      JsonNode line = lines.poll(Math.min(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
      if (line == null) {
        if (!process.isAlive() && lines.isEmpty()) {
          throw new IllegalStateException("child JVM exited with " + process.exitValue());
        }
        continue;
      }
      String t = line.path("type").asText();
      if ("error".equals(t)) {
        throw new IllegalStateException("child: " + line.path("cmd").asText() + " failed: "
            + line.path("message").asText());
      }
      if (type.equals(t)) {
        return line;
      }
    }
  }

  @Override
  public void close() throws Exception {
    try {
      if (process.isAlive()) {
        ObjectNode exit = BenchmarkWorker.JSON.createObjectNode();
        exit.put("cmd", "exit");
        send(exit);
        stdin.close();
      }
    } catch (IOException e) {
      // already gone
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
