package io.beamline.vr;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Modifier;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Test;
import org.junit.experimental.categories.Category;
import org.junit.runner.Description;
import org.junit.runner.Result;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunListener;
import org.junit.runners.model.FrameworkMethod;
import org.junit.runners.model.TestClass;

/**
 * JUnit 4 listener for the ValidatesRunner (VR) executions of this module, registered through surefire's
 * {@code <properties><property><name>listener</name>...}.
 *
 * <p>It counts the results of the run and, when the run finishes, prints
 *
 * <pre>validates-runner EXECUTION: N passed, F failed, S skipped, E excluded</pre>
 *
 * <p>to stdout (the module sets {@code redirectTestOutputToFile=false}, so it reaches the Maven console before surefire
 * reports failures) and writes it, followed by the failed tests and their causes, to {@code vr.summaryFile}.
 *
 * <p>E is computed statically: the VR methods of the scanned test jars (JUnit {@code @Test} methods, inherited ones
 * included, of concrete classes, whose method-level plus class-level {@code @Category} contains {@code ValidatesRunner}
 * or a sub-type) matched by the exclusions of the execution ({@code vr.excludedGroups}: category classes, matching
 * sub-types as surefire and JUnit do; {@code vr.excludedTests}: the {@code ,!Class#method} patterns appended to
 * surefire's {@code <test>}).
 *
 * <p>It also runs a watchdog: a test running longer than {@code vr.testTimeoutSeconds} gets a thread dump written to
 * {@code target/vr-timeouts-EXECUTION/} and its thread interrupted, and if it is still running 30 s later, stopped.
 *
 * <p>System properties (set by the pom): {@code vr.execution}, {@code vr.excludedGroups}, {@code vr.excludedTests},
 * {@code vr.summaryFile}, {@code vr.testTimeoutSeconds}, optionally {@code vr.testJarMarkers}.
 */
@RunListener.ThreadSafe
public class ValidatesRunnerSummaryListener extends RunListener {

  static final String VALIDATES_RUNNER = "org.apache.beam.sdk.testing.ValidatesRunner";

  /** One class of each scanned test jar, used to find the jar on the class path. */
  static final String DEFAULT_TEST_JAR_MARKERS =
      "org/apache/beam/sdk/transforms/ParDoTest.class,"
          + "org/apache/beam/runners/core/SimplePushbackSideInputDoFnRunnerTest.class";

  private static final long STOP_GRACE_SECONDS = 30;
  private static final int MAX_CAUSE_LENGTH = 400;

  private enum Status {
    RUNNING,
    PASSED,
    FAILED,
    SKIPPED
  }

  private static final class Outcome {
    Status status = Status.RUNNING;
    String cause;
    long startNanos = System.nanoTime();
    long durationMillis = -1;
    boolean timedOut;
  }

  /** Console stream captured at construction (before any test can replace System.out). */
  private final PrintStream console = System.out;

  private final String execution = System.getProperty("vr.execution", "validates-runner");
  private final String excludedGroups = System.getProperty("vr.excludedGroups", "");
  private final String excludedTests = System.getProperty("vr.excludedTests", "");
  private final Path summaryFile =
      Paths.get(System.getProperty("vr.summaryFile", "target/validates-runner-" + execution + ".txt"));
  private final long timeoutSeconds = Long.getLong("vr.testTimeoutSeconds", 300L);

  private final Map<String, Outcome> outcomes = new LinkedHashMap<>();
  private final Map<String, String> classLevelFailures = new LinkedHashMap<>();
  private final ScheduledExecutorService watchdog =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "vr-watchdog");
            t.setDaemon(true);
            return t;
          });
  private String runningKey;
  private Thread runningThread;
  private ScheduledFuture<?> pendingTimeout;
  private boolean finished;

  public ValidatesRunnerSummaryListener() {
    Runtime.getRuntime().addShutdownHook(new Thread(this::onShutdown, "vr-summary-shutdown"));
  }

  // ------------------------------------------------------------------ JUnit events

  @Override
  public synchronized void testStarted(Description d) {
    String key = key(d);
    Outcome o = new Outcome();
    outcomes.put(key, o);
    runningKey = key;
    runningThread = Thread.currentThread();
    if (timeoutSeconds > 0) {
      Thread thread = runningThread;
      pendingTimeout =
          watchdog.schedule(() -> onTimeout(key, thread), timeoutSeconds, TimeUnit.SECONDS);
    }
  }

  @Override
  public synchronized void testFailure(Failure f) {
    Description d = f.getDescription();
    String key = key(d);
    Outcome o = outcomes.get(key);
    if (o == null || !d.isTest()) {
      // class-level failure (@BeforeClass, class rule, initialization error): no testStarted for it
      classLevelFailures.put(key, oneLine(f.getException()));
      return;
    }
    o.status = Status.FAILED;
    o.cause = (o.timedOut ? "[watchdog: timed out after " + timeoutSeconds + " s] " : "") + oneLine(f.getException());
  }

  @Override
  public synchronized void testAssumptionFailure(Failure f) {
    Outcome o = outcomes.get(key(f.getDescription()));
    if (o != null) {
      o.status = Status.SKIPPED;
      o.cause = "assumption failed: " + oneLine(f.getException());
    }
  }

  @Override
  public synchronized void testIgnored(Description d) {
    Outcome o = new Outcome();
    o.status = Status.SKIPPED;
    o.cause = "@Ignore";
    o.durationMillis = 0;
    outcomes.put(key(d), o);
  }

  @Override
  public synchronized void testFinished(Description d) {
    String key = key(d);
    Outcome o = outcomes.get(key);
    if (o != null) {
      if (o.status == Status.RUNNING) {
        o.status = Status.PASSED;
      }
      o.durationMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - o.startNanos);
    }
    if (key.equals(runningKey)) {
      runningKey = null;
      runningThread = null;
      if (pendingTimeout != null) {
        pendingTimeout.cancel(false);
        pendingTimeout = null;
      }
    }
  }

  @Override
  public void testRunFinished(Result result) {
    watchdog.shutdownNow();
    synchronized (this) {
      finished = true;
      buildReport(true);
    }
  }

  // ------------------------------------------------------------------ watchdog

  private void onTimeout(String key, Thread thread) {
    synchronized (this) {
      if (!key.equals(runningKey)) {
        return;
      }
      Outcome o = outcomes.get(key);
      if (o != null) {
        o.timedOut = true;
      }
    }
    Path dump = summaryFile.resolveSibling("vr-timeouts-" + execution).resolve(fileName(key) + ".txt");
    writeThreadDump(dump, key);
    console.println(
        "[vr-watchdog] " + key + " still running after " + timeoutSeconds + " s: interrupting it (thread dump: "
            + dump + ")");
    console.flush();
    thread.interrupt();
    watchdog.schedule(() -> stopIfStillRunning(key, thread), STOP_GRACE_SECONDS, TimeUnit.SECONDS);
  }

  @SuppressWarnings({"deprecation", "removal"})
  private void stopIfStillRunning(String key, Thread thread) {
    synchronized (this) {
      if (!key.equals(runningKey)) {
        return;
      }
    }
    console.println("[vr-watchdog] " + key + " ignored the interrupt: stopping its thread");
    console.flush();
    try {
      thread.stop(); // Java 17: still works (ThreadDeath); better than stalling the whole suite
    } catch (UnsupportedOperationException e) {
      console.println("[vr-watchdog] Thread.stop is not supported on this JVM; the run may hang");
    }
  }

  private static void writeThreadDump(Path file, String key) {
    StringBuilder sb = new StringBuilder("Thread dump while " + key + " exceeded its time limit\n\n");
    for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
      Thread t = e.getKey();
      sb.append('"').append(t.getName()).append("\" daemon=").append(t.isDaemon()).append(" state=")
          .append(t.getState()).append('\n');
      for (StackTraceElement el : e.getValue()) {
        sb.append("\tat ").append(el).append('\n');
      }
      sb.append('\n');
    }
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, sb.toString().getBytes(StandardCharsets.UTF_8));
    } catch (IOException ignored) {
      // best effort
    }
  }

  // ------------------------------------------------------------------ report

  private void onShutdown() {
    synchronized (this) {
      if (finished) {
        return;
      }
      finished = true;
      // The fork is exiting without testRunFinished (crash, surefire timeout, System.exit in a test ...).
      buildReport(false);
    }
  }

  /** Must hold the lock. Prints the summary (and notes) to the console and writes the summary file. */
  private void buildReport(boolean complete) {
    int passed = 0;
    int failed = 0;
    int skipped = 0;
    Map<String, String> failures = new LinkedHashMap<>();
    for (Map.Entry<String, Outcome> e : outcomes.entrySet()) {
      switch (e.getValue().status) {
        case PASSED:
          passed++;
          break;
        case FAILED:
          failed++;
          failures.put(e.getKey(), e.getValue().cause);
          break;
        case SKIPPED:
          skipped++;
          break;
        case RUNNING:
          failed++;
          failures.put(e.getKey(), "did not finish (fork ended while it was running)");
          break;
        default:
          throw new AssertionError();
      }
    }
    for (Map.Entry<String, String> e : classLevelFailures.entrySet()) {
      failed++;
      failures.put(e.getKey() + " (class-level)", e.getValue());
    }

    List<String> notes = new ArrayList<>(); // console and file
    List<String> fileNotes = new ArrayList<>(); // file only
    Set<String> excluded = new TreeSet<>();
    Set<String> vrMethods = new TreeSet<>();
    try {
      computeExcluded(vrMethods, excluded, notes, fileNotes);
    } catch (RuntimeException | LinkageError e) {
      notes.add("could not scan the VR methods: " + oneLine(e));
    }
    Set<String> neither = new TreeSet<>(vrMethods);
    neither.removeAll(excluded);
    neither.removeAll(outcomes.keySet());
    if (!neither.isEmpty()) {
      notes.add(
          neither.size() + " VR methods were neither run nor excluded (expected only when -Dtest narrows the run): "
              + abbreviate(neither, 5));
    }
    Set<String> notVr = new TreeSet<>(outcomes.keySet());
    notVr.removeAll(vrMethods);
    if (!notVr.isEmpty()) {
      notes.add(notVr.size() + " reported tests are not VR methods of the scanned jars: " + abbreviate(notVr, 10));
    }

    String summary =
        "validates-runner " + execution + ": " + passed + " passed, " + failed + " failed, " + skipped
            + " skipped, " + excluded.size() + " excluded";

    StringBuilder file = new StringBuilder(summary).append('\n');
    if (!complete) {
      file.append("INCOMPLETE: the test JVM exited before the run finished").append(runningKey == null ? "" : " (running: " + runningKey + ")").append('\n');
    }
    file.append("\nfailed (").append(failures.size()).append("):\n");
    failures.forEach((k, v) -> file.append(k).append('\n').append("    ").append(v).append('\n'));
    if (!notes.isEmpty() || !fileNotes.isEmpty()) {
      file.append("\nnotes:\n");
      notes.forEach(n -> file.append("  ").append(n).append('\n'));
      fileNotes.forEach(n -> file.append("  ").append(n).append('\n'));
    }
    file.append("\nslowest tests:\n");
    outcomes.entrySet().stream()
        .filter(e -> e.getValue().durationMillis > 0)
        .sorted(Comparator.comparingLong((Map.Entry<String, Outcome> e) -> e.getValue().durationMillis).reversed())
        .limit(15)
        .forEach(e -> file.append(String.format("  %8.1f s  %s%n", e.getValue().durationMillis / 1000.0, e.getKey())));
    file.append("\nexcluded (").append(excluded.size()).append("):\n");
    excluded.forEach(k -> file.append(k).append('\n'));
    file.append("\nexclusions: categories [").append(excludedGroups).append("], tests [").append(excludedTests).append("]\n");

    try {
      if (summaryFile.getParent() != null) {
        Files.createDirectories(summaryFile.getParent());
      }
      Files.write(summaryFile, file.toString().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      notes.add("could not write " + summaryFile + ": " + e);
    }

    for (String n : notes) {
      console.println("[validates-runner " + execution + "] note: " + n);
    }
    if (!complete) {
      console.println("[validates-runner " + execution + "] INCOMPLETE: the test JVM exited before the run finished");
    }
    console.println(summary);
    console.println("[validates-runner " + execution + "] details: " + summaryFile.toAbsolutePath());
    console.flush();
  }

  // ------------------------------------------------------------------ VR scan and exclusion matching

  private void computeExcluded(
      Set<String> vrMethods, Set<String> excluded, List<String> notes, List<String> fileNotes) {
    ClassLoader cl = ValidatesRunnerSummaryListener.class.getClassLoader();
    Class<?> validatesRunner;
    try {
      validatesRunner = Class.forName(VALIDATES_RUNNER, false, cl);
    } catch (ClassNotFoundException e) {
      notes.add(VALIDATES_RUNNER + " not on the class path");
      return;
    }
    List<Class<?>> groups = new ArrayList<>();
    for (String g : split(excludedGroups)) {
      try {
        groups.add(Class.forName(g, false, cl));
      } catch (ClassNotFoundException | LinkageError e) {
        notes.add("excluded category " + g + " is not a class on the class path");
      }
    }
    List<TestPattern> patterns = new ArrayList<>();
    for (String t : split(excludedTests)) {
      if (t.startsWith("!")) {
        patterns.add(new TestPattern(t.substring(1)));
      }
    }
    Map<TestPattern, Integer> patternHits = new LinkedHashMap<>();
    patterns.forEach(p -> patternHits.put(p, 0));

    List<String> unloadable = new ArrayList<>();
    for (String className : testJarClassNames(notes)) {
      Class<?> c;
      try {
        c = Class.forName(className, false, cl);
      } catch (ClassNotFoundException | LinkageError e) {
        unloadable.add(className + " (" + e + ")");
        continue;
      }
      if (c.isInterface() || c.isAnnotation() || c.isEnum() || Modifier.isAbstract(c.getModifiers())) {
        continue;
      }
      List<FrameworkMethod> tests;
      try {
        tests = testMethods(c);
      } catch (RuntimeException | LinkageError e) {
        unloadable.add(className + " (" + e + ")");
        continue;
      }
      if (tests.isEmpty()) {
        continue;
      }
      List<Class<?>> classCategories = categories(c.getAnnotation(Category.class));
      for (FrameworkMethod m : tests) {
        List<Class<?>> cats = new ArrayList<>(classCategories);
        cats.addAll(categories(m.getAnnotation(Category.class)));
        if (cats.stream().noneMatch(validatesRunner::isAssignableFrom)) {
          continue;
        }
        String key = c.getName() + "#" + m.getName();
        if (!vrMethods.add(key)) {
          continue;
        }
        boolean out = cats.stream().anyMatch(cat -> groups.stream().anyMatch(g -> g.isAssignableFrom(cat)));
        for (TestPattern p : patterns) {
          if (p.matches(c.getName(), m.getName())) {
            patternHits.merge(p, 1, Integer::sum);
            out = true;
          }
        }
        if (out) {
          excluded.add(key);
        }
      }
    }
    if (!unloadable.isEmpty()) {
      fileNotes.add(
          unloadable.size() + " classes of the test jars could not be loaded (their VR methods, if any, are not"
              + " counted; none in Beam 2.70.0): " + String.join(", ", unloadable));
    }
    patternHits.forEach(
        (p, hits) -> {
          if (hits == 0) {
            notes.add("excluded test pattern '" + p.raw + "' matches no VR method (typo? already fixed upstream?)");
          }
        });
  }

  private List<String> testJarClassNames(List<String> notes) {
    ClassLoader cl = ValidatesRunnerSummaryListener.class.getClassLoader();
    Set<String> names = new LinkedHashSet<>();
    for (String marker : split(System.getProperty("vr.testJarMarkers", DEFAULT_TEST_JAR_MARKERS))) {
      URL url = cl.getResource(marker);
      if (url == null) {
        notes.add("test jar marker " + marker + " not found on the class path");
        continue;
      }
      try {
        if ("jar".equals(url.getProtocol())) {
          File jar = new File(((JarURLConnection) url.openConnection()).getJarFileURL().toURI());
          try (JarFile jf = new JarFile(jar)) {
            Enumeration<JarEntry> entries = jf.entries();
            while (entries.hasMoreElements()) {
              String n = entries.nextElement().getName();
              if (n.endsWith(".class") && !n.endsWith("module-info.class") && !n.startsWith("META-INF/")) {
                names.add(n.substring(0, n.length() - ".class".length()).replace('/', '.'));
              }
            }
          }
        } else if ("file".equals(url.getProtocol())) {
          // a classes directory: walk up to its root
          Path classFile = Paths.get(url.toURI());
          Path root = classFile;
          for (int i = 0; i < marker.split("/").length; i++) {
            root = root.getParent();
          }
          Path r = root;
          try (Stream<Path> files = Files.walk(r)) {
            files
                .filter(p -> p.toString().endsWith(".class"))
                .forEach(
                    p -> {
                      String rel = r.relativize(p).toString().replace(File.separatorChar, '/');
                      names.add(rel.substring(0, rel.length() - ".class".length()).replace('/', '.'));
                    });
          }
        } else {
          notes.add("cannot scan " + url);
        }
      } catch (IOException | URISyntaxException | ClassCastException e) {
        notes.add("cannot scan " + url + ": " + e);
      }
    }
    return new ArrayList<>(names);
  }

  /**
   * The {@code @Test} methods JUnit runs for {@code c} (inherited ones included, overridden ones once). JUnit's
   * {@link TestClass} rejects classes with several constructors, which JUnit cannot run anyway; those helper classes
   * fall back to the public {@code @Test} methods.
   */
  private static List<FrameworkMethod> testMethods(Class<?> c) {
    try {
      return new TestClass(c).getAnnotatedMethods(Test.class);
    } catch (IllegalArgumentException e) {
      return Arrays.stream(c.getMethods())
          .filter(m -> m.isAnnotationPresent(Test.class))
          .map(FrameworkMethod::new)
          .collect(Collectors.toList());
    }
  }

  private static List<Class<?>> categories(Category c) {
    return c == null ? Collections.emptyList() : Arrays.asList(c.value());
  }

  /**
   * A surefire {@code <test>} pattern without its '!': {@code Class}, {@code Class#method},
   * {@code Outer$Nested#m1+m2}, {@code **}{@code /Class.class}, {@code pkg.Class#m*}. A class part without '.' matches
   * the simple binary class name (any package), as surefire does.
   */
  static final class TestPattern {
    final String raw;
    final Pattern classPattern;
    final boolean qualified;
    final List<Pattern> methodPatterns = new ArrayList<>();

    TestPattern(String raw) {
      this.raw = raw;
      String cls = raw;
      String methods = null;
      int hash = raw.indexOf('#');
      if (hash >= 0) {
        cls = raw.substring(0, hash);
        methods = raw.substring(hash + 1);
      }
      if (cls.startsWith("**/")) {
        cls = cls.substring(3);
      }
      if (cls.endsWith(".class") || cls.endsWith(".java")) {
        cls = cls.substring(0, cls.lastIndexOf('.'));
      }
      cls = cls.replace('/', '.');
      qualified = cls.contains(".");
      classPattern = glob(cls);
      if (methods != null && !methods.isEmpty()) {
        for (String m : methods.split("\\+")) {
          methodPatterns.add(glob(m));
        }
      }
    }

    boolean matches(String className, String method) {
      String name = qualified ? className : className.substring(className.lastIndexOf('.') + 1);
      if (!classPattern.matcher(name).matches()) {
        return false;
      }
      return methodPatterns.isEmpty() || methodPatterns.stream().anyMatch(p -> p.matcher(method).matches());
    }

    private static Pattern glob(String s) {
      StringBuilder re = new StringBuilder();
      for (char ch : s.toCharArray()) {
        if (ch == '*') {
          re.append(".*");
        } else if (ch == '?') {
          re.append('.');
        } else {
          re.append(Pattern.quote(String.valueOf(ch)));
        }
      }
      return Pattern.compile(re.toString());
    }
  }

  // ------------------------------------------------------------------ helpers

  private static String key(Description d) {
    return d.getMethodName() == null ? d.getClassName() : d.getClassName() + "#" + d.getMethodName();
  }

  private static List<String> split(String csv) {
    if (csv == null || csv.trim().isEmpty()) {
      return Collections.emptyList();
    }
    return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toList());
  }

  private static String fileName(String key) {
    return key.replaceAll("[^A-Za-z0-9._$#-]", "_");
  }

  private static String abbreviate(Set<String> keys, int max) {
    String s = keys.stream().limit(max).collect(Collectors.joining(", "));
    return keys.size() > max ? s + ", ..." : s;
  }

  /** "Type: first line of message", plus the root cause when it differs, on one line. */
  static String oneLine(Throwable t) {
    if (t == null) {
      return "(no exception)";
    }
    String s = describe(t);
    Throwable root = t;
    Set<Throwable> seen = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    while (root.getCause() != null && seen.add(root)) {
      root = root.getCause();
    }
    if (root != t) {
      String r = describe(root);
      if (!s.contains(r)) {
        s = s + " | root cause: " + r;
      }
    }
    return s.length() > MAX_CAUSE_LENGTH ? s.substring(0, MAX_CAUSE_LENGTH) + "..." : s;
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    if (m == null) {
      return t.getClass().getName();
    }
    String first = m.strip().split("\\R", 2)[0];
    return t.getClass().getName() + ": " + first;
  }
}
