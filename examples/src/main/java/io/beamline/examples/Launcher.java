package io.beamline.examples;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.ApplicationNameOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.PipelineRunnerRegistrar;

/**
 * The command line of the example jobs: parses and checks every option before the job does
 * anything (no checkpoint deleted, no broker started), and turns a user's mistake into one line
 * and a hint on standard error and exit status {@value #USAGE}, never a stack trace.
 *
 * <p>Checked: unknown options and malformed values (Beam's parser), an unknown {@code --runner}
 * (answered with the runners found on the class path), the runner's own options (by creating the
 * runner: {@code --parallelism}, {@code --batchInterval}, {@code --stateBackend}, the monitoring
 * options, …) and an {@code --input} that cannot be read.
 */
final class Launcher {
  /** Exit status for a mistake on the command line (as {@code ./beamline} uses for a bad job). */
  static final int USAGE = 2;

  private static final Pattern UNKNOWN_OPTION =
      Pattern.compile("missing a property named '([^']+)'");
  private static final Pattern UNKNOWN_RUNNER =
      Pattern.compile("Unknown 'runner' specified '([^']+)'");
  private static final Pattern BAD_VALUE =
      Pattern.compile("Cannot deserialize value of type `([^`]+)` from String \"([^\"]*)\"");
  private static final Pattern NAMED_OPTION = Pattern.compile("--([A-Za-z]+)");

  private Launcher() {}

  /** A mistake on the command line: one line saying what is wrong, and a hint. */
  static final class UsageError extends Exception {
    final String hint;

    UsageError(String message, String hint) {
      super(message, null, false, false);
      this.hint = hint;
    }

    /** Prints {@code beamline: <message>} and {@code   hint: <hint>}. */
    void print(PrintStream err) {
      err.println("beamline: " + getMessage());
      err.println("  hint: " + hint);
    }
  }

  /**
   * Parses {@code args} into {@code type} (registered first, so that {@code --help} lists it),
   * defaulting the runner to {@code defaultRunner}, and checks them as described above.
   *
   * @param job the job's name on the {@code ./beamline} command line, for hints
   * @param mainClass the job's main class, which names the application unless {@code --appName}
   * @throws UsageError for any mistake
   */
  static <T extends PipelineOptions> T parse(
      String[] args,
      Class<T> type,
      Class<? extends PipelineRunner<?>> defaultRunner,
      String job,
      Class<?> mainClass)
      throws UsageError {
    PipelineOptionsFactory.register(type);
    T options;
    String listOptions =
        "./beamline " + job + " --help=" + type.getSimpleName() + " lists the job's options";
    try {
      options = PipelineOptionsFactory.fromArgs(args).withValidation().as(type);
    } catch (IllegalArgumentException e) {
      throw translate(e, listOptions, args);
    }
    boolean runnerGiven = false;
    boolean appNameGiven = false;
    for (String a : args) {
      runnerGiven |= a.startsWith("--runner");
      appNameGiven |= a.startsWith("--appName");
    }
    if (!runnerGiven) {
      options.setRunner(defaultRunner);
    }
    if (!appNameGiven) {
      // Beam names the application after the class that parsed the options: that is this one,
      // not the job (the name shows on the web UI and names default checkpoint directories)
      options.as(ApplicationNameOptions.class).setAppName(mainClass.getSimpleName());
    }
    try {
      PipelineRunner.fromOptions(options); // each runner checks its own options here
    } catch (RuntimeException e) {
      IllegalArgumentException invalid = find(e, IllegalArgumentException.class);
      if (invalid == null) {
        throw e;
      }
      throw translate(invalid, listOptions, args);
    }
    return options;
  }

  /**
   * Checks that {@code --input} names a readable file or a resource on the class path.
   *
   * @throws UsageError if it does not
   */
  static void checkInput(String input) throws UsageError {
    String hint =
        "give a file of flights (a JSON array or JSON lines), or leave --input out for the bundled"
            + " 20,000 flights";
    if (input.startsWith("classpath:")) {
      if (Launcher.class.getClassLoader().getResource(input.substring("classpath:".length())) == null) {
        throw new UsageError("--input " + input + ": no such resource on the class path", hint);
      }
      return;
    }
    Path path = Path.of(input);
    if (!Files.exists(path)) {
      throw new UsageError("--input " + input + ": no such file", hint);
    }
    if (Files.isDirectory(path) || !Files.isReadable(path)) {
      throw new UsageError("--input " + input + ": not a readable file", hint);
    }
  }

  /** One line and a hint for an {@link IllegalArgumentException} of Beam or of a runner. */
  static UsageError translate(IllegalArgumentException e, String listOptions, String[] args) {
    String message = firstLine(e.getMessage());
    Matcher badValue = BAD_VALUE.matcher(message);
    if (badValue.find()) {
      String type = badValue.group(1).replaceFirst("^java\\.lang\\.", "");
      String value = badValue.group(2);
      String option = "an option";
      for (String a : args) {
        if (a.startsWith("--") && a.endsWith("=" + value)) {
          option = a.substring(0, a.length() - value.length() - 1);
        }
      }
      return new UsageError(
          "invalid value for " + option + ": '" + value + "' is not a valid " + type, listOptions);
    }
    Matcher unknownOption = UNKNOWN_OPTION.matcher(message);
    if (unknownOption.find()) {
      String full = String.valueOf(e.getMessage());
      Matcher suggestion = Pattern.compile("Did you mean '([^']+)'").matcher(full);
      return new UsageError(
          "unknown option --" + unknownOption.group(1),
          (suggestion.find() ? "did you mean --" + suggestion.group(1) + "? " : "") + listOptions);
    }
    Matcher unknownRunner = UNKNOWN_RUNNER.matcher(message);
    if (unknownRunner.find()) {
      return new UsageError("unknown runner '" + unknownRunner.group(1) + "'", runnersHint());
    }
    Matcher option = NAMED_OPTION.matcher(message);
    String name = option.find() ? option.group(1) : "";
    switch (name) {
      case "parallelism":
        return new UsageError(
            message, "--parallelism=N with N at least 1, or leave it out for one task per core");
      case "batchInterval":
        return new UsageError(
            message, "a whole number and a unit ms, s or m, e.g. --batchInterval=500ms or 5s");
      case "stateBackend":
        return new UsageError(
            message, "--stateBackend=heap (the default) or --stateBackend=rocksdb");
      default:
        return new UsageError(message, listOptions);
    }
  }

  /**
   * The runners on the class path, and whether RealtimeRunner is among them: {@code --runner}
   * takes a runner's simple name.
   */
  static String runnersHint() {
    TreeSet<String> names = new TreeSet<>();
    for (PipelineRunnerRegistrar registrar : ServiceLoader.load(PipelineRunnerRegistrar.class)) {
      for (Class<? extends PipelineRunner<?>> runner : registrar.getPipelineRunners()) {
        names.add(runner.getSimpleName());
      }
    }
    return "runners on the class path: " + String.join(", ", names);
  }

  private static String firstLine(String message) {
    String m = message == null ? "invalid option" : message.strip();
    int newline = m.indexOf('\n');
    return newline < 0 ? m : m.substring(0, newline).strip();
  }

  private static <E extends Throwable> E find(Throwable t, Class<E> type) {
    List<Throwable> seen = new ArrayList<>();
    for (Throwable c = t; c != null && !seen.contains(c); c = c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
      seen.add(c);
    }
    return null;
  }
}
