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
  public static final String REALTIME = "RealtimeRunner";
  public static final String DIRECT = "DirectRunner";
  public static final String FLINK = "FlinkRunner";

  /** The runner the ratios are computed against. */
  public static final String BASELINE = MICRO_BATCH;

  public static final List<String> DEFAULT_RUNNERS = List.of(MICRO_BATCH, DIRECT, FLINK);

  /** Fully qualified so it resolves whether or not the runner registers a short name. */
  static final String MICRO_BATCH_CLASS = "io.beamline.runners.microbatch.MicroBatchRunner";

  static final String REALTIME_CLASS = "io.beamline.runners.realtime.RealtimeRunner";

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

  /** Every runner the harness knows, in the default order of the reports. */
  public static final List<RunnerSpec> ALL =
      List.of(
          new RunnerSpec(
              MICRO_BATCH,
              MICRO_BATCH_CLASS,
              List.of("--parallelism=%d"),
              List.of("--parallelism=%d"),
              // a streaming run reading an unbounded source always checkpoints; a fresh directory per run
              // keeps one run from resuming another
              dir -> List.of("--checkpointDir=" + dir),
              RunnerSpec.beamlineModule("runner-microbatch"),
              List.of()),
          // streaming without barrier checkpoints (--checkpointInterval=0): the at-least-once figures of
          // issue 10, like for like with FlinkRunner's (checkpointing off) and comparable with earlier runs
          new RunnerSpec(
              REALTIME,
              REALTIME_CLASS,
              List.of("--parallelism=%d"),
              List.of("--parallelism=%d", "--checkpointInterval=0"),
              dir -> List.of(),
              RunnerSpec.beamlineModule("runner-realtime"),
              List.of()),
          // Defaults on purpose: immutability and encodability enforcement stay on, targetParallelism is
          // max(cores, 3). That is how DirectRunner is normally used, and what its numbers in docs/benchmarks.md
          // mean. Its jar stays on every class path (ownJar matches nothing), as it always has.
          new RunnerSpec(DIRECT, "DirectRunner", List.of(), List.of(), dir -> List.of(), entry -> false, List.of()),
          // Classic (non-portable) runner on an embedded local mini-cluster started per pipeline run. Batch:
          // DataSet translation. Streaming: DataStream with checkpointing off (its default,
          // --checkpointingInterval=-1), so its sources shut down once they end (--shutdownSourcesAfterIdleMs
          // defaults to 0 without checkpointing).
          new RunnerSpec(
              FLINK,
              "FlinkRunner",
              List.of("--flinkMaster=[local]", "--parallelism=%d", "--streaming=false"),
              List.of("--flinkMaster=[local]", "--parallelism=%d"),
              dir -> List.of(),
              Runners::isFlinkEntry,
              FLINK_JVM_FLAGS));

  /** The entry named {@code runner}, or null for a name the harness does not know. */
  public static RunnerSpec spec(String runner) {
    for (RunnerSpec spec : ALL) {
      if (spec.name().equals(runner)) {
        return spec;
      }
    }
    return null;
  }

  /** Beam pipeline arguments for {@code runner}; unknown names are passed through as {@code --runner=NAME}. */
  public static List<String> pipelineArgs(String runner, int parallelism) {
    RunnerSpec spec = spec(runner);
    return spec == null ? List.of("--runner=" + runner) : spec.pipelineArgs(parallelism);
  }

  /**
   * Beam pipeline arguments for a streaming run on {@code runner}: as {@link #pipelineArgs} but with {@code
   * --streaming=true}. Arguments a run needs in a directory of its own (MicroBatchRunner's {@code
   * --checkpointDir}, …) are added by the caller, from {@link RunnerSpec#perRunStreamingArgs()} or its own.
   */
  public static List<String> streamingPipelineArgs(String runner, int parallelism) {
    RunnerSpec spec = spec(runner);
    return spec == null
        ? List.of("--runner=" + runner, "--streaming=true")
        : spec.streamingPipelineArgs(parallelism);
  }

  /**
   * The classpath of the child that runs {@code runner}: the harness's own classpath minus the jars of the other
   * runners under comparison (each {@link RunnerSpec#ownJar()}), so each runner runs as it would be deployed (no
   * other runner's registrars, options or static initialisers in its JVM), and minus the jars only the Nexmark
   * mode needs ({@link #isNexmarkOnlyEntry}).
   */
  public static String classpathFor(String runner, String classpath) {
    return classpathFor(runner, classpath, false);
  }

  /** As {@link #classpathFor(String, String)}; {@code nexmark} keeps the jars the Nexmark queries need. */
  public static String classpathFor(String runner, String classpath, boolean nexmark) {
    List<String> kept = new ArrayList<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      if (entry.isEmpty() || (!nexmark && isNexmarkOnlyEntry(entry))) {
        continue;
      }
      boolean keep = true;
      for (RunnerSpec other : ALL) {
        if (!other.name().equals(runner) && other.ownJar().test(entry)) {
          keep = false;
        }
      }
      if (keep) {
        kept.add(entry);
      }
    }
    return String.join(File.pathSeparator, kept);
  }

  /** The Beam Flink runner and Flink itself. */
  static boolean isFlinkEntry(String entry) {
    String path = entry.replace(File.separatorChar, '/');
    return RunnerSpec.fileName(entry).startsWith("beam-runners-flink") || path.contains("/org/apache/flink/");
  }

  /** Beamline's runner modules, as installed jars or as reactor output directories. */
  static boolean isBeamlineRunnerEntry(String entry) {
    String path = entry.replace(File.separatorChar, '/');
    return RunnerSpec.fileName(entry).startsWith("beamline-runner-")
        || path.contains("/runner-microbatch/target/")
        || path.contains("/runner-realtime/target/");
  }

  /**
   * Jars on the harness's class path only for the Nexmark mode (see the benchmarks POM): Beam's Nexmark suite and
   * what its classes need to load against Beam 2.70. Other modes' children run without them, as before.
   */
  static boolean isNexmarkOnlyEntry(String entry) {
    String name = RunnerSpec.fileName(entry);
    return name.startsWith("beam-sdks-java-nexmark-")
        || name.startsWith("beam-sdks-java-io-google-cloud-platform-")
        || name.startsWith("beam-sdks-java-extensions-protobuf-")
        || name.startsWith("google-api-services-bigquery-")
        || name.startsWith("jackson-datatype-joda-")
        || name.startsWith("jackson-datatype-jsr310-");
  }

  /** Extra JVM flags for the child that runs {@code runner}. */
  public static List<String> jvmFlags(String runner) {
    RunnerSpec spec = spec(runner);
    return spec == null ? List.of() : spec.jvmFlags();
  }
}
