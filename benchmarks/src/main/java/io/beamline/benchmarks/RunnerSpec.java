package io.beamline.benchmarks;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One runner under comparison, as one entry of {@link Runners#ALL}: how a child JVM that runs it is
 * started and how its pipelines are configured. Adding a runner to every benchmark mode is adding one
 * entry there.
 *
 * @param name the name used on the harness's command line ({@code --runners=...}) and in reports
 * @param runnerArg the {@code --runner=} value handed to {@code PipelineOptionsFactory}: a registered short
 *     name or a fully qualified class name
 * @param batchArgs further pipeline arguments of a batch run; {@code %d} is replaced by the parallelism
 * @param streamingArgs further pipeline arguments of a streaming run (without {@code --streaming=true},
 *     which is always added); {@code %d} is replaced by the parallelism
 * @param perRunStreamingArgs pipeline arguments a streaming run needs in a fresh directory of its own
 *     (e.g. a checkpoint directory), given that directory; the caller creates and deletes it
 * @param ownJar which class-path entries belong to this runner alone: they are removed from the class path of
 *     every other runner's child (see {@link Runners#classpathFor}); matches nothing for a runner whose jar the
 *     others keep
 * @param jvmFlags extra flags of this runner's child JVM
 */
public record RunnerSpec(
    String name,
    String runnerArg,
    List<String> batchArgs,
    List<String> streamingArgs,
    Function<Path, List<String>> perRunStreamingArgs,
    Predicate<String> ownJar,
    List<String> jvmFlags) {

  /** Pipeline arguments of a batch run with the given parallelism. */
  public List<String> pipelineArgs(int parallelism) {
    List<String> args = new ArrayList<>();
    args.add("--runner=" + runnerArg);
    batchArgs.forEach(a -> args.add(a.replace("%d", String.valueOf(parallelism))));
    return args;
  }

  /** Pipeline arguments of a streaming run with the given parallelism, ending with {@code --streaming=true}. */
  public List<String> streamingPipelineArgs(int parallelism) {
    List<String> args = new ArrayList<>();
    args.add("--runner=" + runnerArg);
    streamingArgs.forEach(a -> args.add(a.replace("%d", String.valueOf(parallelism))));
    args.add("--streaming=true");
    return args;
  }

  /** A class-path entry's file name ({@code beam-runners-flink-1.19-2.70.0.jar}) or directory path. */
  static String fileName(String entry) {
    String path = entry.replace(File.separatorChar, '/');
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** The jars of a Beamline runner module: installed ({@code beamline-<module>-...jar}) or reactor output. */
  static Predicate<String> beamlineModule(String module) {
    return entry -> {
      String path = entry.replace(File.separatorChar, '/');
      return fileName(entry).startsWith("beamline-" + module + "-") || path.contains("/" + module + "/target/");
    };
  }
}
