package io.beamline.benchmarks;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * How each runner under comparison is configured: the pipeline arguments its worker passes to
 * {@code PipelineOptionsFactory}, and the extra JVM flags its child JVM needs.
 */
public final class Runners {

  public static final String MICRO_BATCH = "MicroBatchRunner";
  public static final String DIRECT = "DirectRunner";
  public static final String FLINK = "FlinkRunner";

  /** The runner the ratios are computed against. */
  public static final String BASELINE = MICRO_BATCH;

  public static final List<String> DEFAULT_RUNNERS = List.of(MICRO_BATCH, DIRECT, FLINK);

  /** Fully qualified so it resolves whether or not the runner registers a short name. */
  static final String MICRO_BATCH_CLASS = "io.beamline.runners.microbatch.MicroBatchRunner";

  /**
   * Flink 1.19 on Java 17 reflects into JDK internals (Kryo, its memory manager, netty); these are the opens the
   * Beam Flink build and Flink's own {@code env.java.opts.all} use.
   */
  static final List<String> FLINK_JVM_FLAGS =
      List.of(
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
          "--add-opens=java.base/java.time=ALL-UNNAMED",
          "--add-opens=java.base/java.text=ALL-UNNAMED",
          "--add-opens=java.sql/java.sql=ALL-UNNAMED");

  private Runners() {}

  /** Beam pipeline arguments for {@code runner}; unknown names are passed through as {@code --runner=NAME}. */
  public static List<String> pipelineArgs(String runner, int parallelism) {
    List<String> args = new ArrayList<>();
    switch (runner) {
      case MICRO_BATCH:
        args.add("--runner=" + MICRO_BATCH_CLASS);
        args.add("--parallelism=" + parallelism);
        break;
      case DIRECT:
        // Defaults on purpose: immutability and encodability enforcement stay on, targetParallelism is
        // max(cores, 3). That is how DirectRunner is normally used, and what its numbers in docs/benchmarks.md mean.
        args.add("--runner=DirectRunner");
        break;
      case FLINK:
        // Classic (non-portable) runner, batch mode, embedded local mini-cluster started per pipeline run.
        args.add("--runner=FlinkRunner");
        args.add("--flinkMaster=[local]");
        args.add("--parallelism=" + parallelism);
        args.add("--streaming=false");
        break;
      default:
        args.add("--runner=" + runner);
        break;
    }
    return args;
  }

  /**
   * Beam pipeline arguments for a streaming run on {@code runner}: as {@link #pipelineArgs} but with {@code
   * --streaming=true}. FlinkRunner then translates to DataStream on the embedded mini-cluster with checkpointing
   * off (its default, {@code --checkpointingInterval=-1}), so its sources shut down once they end
   * ({@code --shutdownSourcesAfterIdleMs} defaults to 0 without checkpointing). MicroBatchRunner's own
   * streaming options ({@code --checkpointDir}, {@code --batchInterval}, …) are added by the caller.
   */
  public static List<String> streamingPipelineArgs(String runner, int parallelism) {
    List<String> args = new ArrayList<>();
    for (String arg : pipelineArgs(runner, parallelism)) {
      if (!arg.startsWith("--streaming=")) {
        args.add(arg);
      }
    }
    args.add("--streaming=true");
    return args;
  }

  /**
   * The classpath of the child that runs {@code runner}: the harness's own classpath minus the jars of the other
   * runners under comparison, so each runner runs as it would be deployed (no other runner's registrars, options
   * or static initialisers in its JVM).
   */
  public static String classpathFor(String runner, String classpath) {
    List<String> kept = new ArrayList<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      if (entry.isEmpty()) {
        continue;
      }
      boolean flink = isFlinkEntry(entry);
      boolean beamline = isBeamlineRunnerEntry(entry);
      boolean keep =
          FLINK.equals(runner) ? !beamline : MICRO_BATCH.equals(runner) ? !flink : !flink && !beamline;
      if (keep) {
        kept.add(entry);
      }
    }
    return String.join(File.pathSeparator, kept);
  }

  /** The Beam Flink runner and Flink itself. */
  static boolean isFlinkEntry(String entry) {
    String path = entry.replace(File.separatorChar, '/');
    String name = path.substring(path.lastIndexOf('/') + 1);
    return name.startsWith("beam-runners-flink") || path.contains("/org/apache/flink/");
  }

  /** Beamline's runner modules, as installed jars or as reactor output directories. */
  static boolean isBeamlineRunnerEntry(String entry) {
    String path = entry.replace(File.separatorChar, '/');
    String name = path.substring(path.lastIndexOf('/') + 1);
    return name.startsWith("beamline-runner-")
        || path.contains("/runner-microbatch/target/")
        || path.contains("/runner-realtime/target/");
  }

  /** Extra JVM flags for the child that runs {@code runner}. */
  public static List<String> jvmFlags(String runner) {
    return FLINK.equals(runner) ? FLINK_JVM_FLAGS : List.of();
  }
}
