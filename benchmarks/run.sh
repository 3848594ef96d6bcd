#!/usr/bin/env bash
# Builds the benchmarks module (and the modules it depends on) and runs the side-by-side benchmark.
#
#   benchmarks/run.sh [BenchmarkMain options]
#   benchmarks/run.sh --runners=MicroBatchRunner,DirectRunner,FlinkRunner \
#                     --pipelines=sum-per-key-100,sum-per-key-1m --warmups=2 --iterations=5 --markdown
#   benchmarks/run.sh streaming-epoch-cost | latency | stateful-streaming [options]
#                     (MicroBatchRunner streaming benchmarks; see StreamingBenchmarks and docs/benchmarks.md)
#
# Environment:
#   BUILD=am      (default) mvn -pl benchmarks -am package: builds sdk, runner-microbatch, examples too
#   BUILD=module  mvn -pl benchmarks package: uses sibling modules already installed in ~/.m2
#                 (mvn -B -q install -DskipTests -pl sdk,runner-microbatch,examples)
#   BUILD=none    no build; reuse benchmarks/target/classes and benchmarks/target/classpath.txt
#   MVN_ARGS      extra Maven arguments, e.g. MVN_ARGS=-o
#   JAVA          java binary for the parent (children use the same one), default: java on PATH
#
# The parent JVM is small; each runner gets its own child JVM (-Xmx4g by default, see --heap).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

build="${BUILD:-am}"
cpfile="benchmarks/target/classpath.txt"
# shellcheck disable=SC2086
case "$build" in
  am)
    mvn -B -q ${MVN_ARGS:-} -pl benchmarks -am -DskipTests package \
        dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
    ;;
  module)
    mvn -B -q ${MVN_ARGS:-} -pl benchmarks -DskipTests package \
        dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
    ;;
  none)
    ;;
  *)
    echo "BUILD must be am, module or none (got '$build')" >&2
    exit 2
    ;;
esac

if [[ ! -f "$cpfile" || ! -d benchmarks/target/classes ]]; then
  echo "no build output in benchmarks/target; run without BUILD=none first" >&2
  exit 2
fi

java_bin="${JAVA:-java}"
BEAMLINE_BENCH_LAUNCHER="benchmarks/run.sh" exec "$java_bin" -Xmx512m -cp "benchmarks/target/classes:$(cat "$cpfile")" \
  io.beamline.benchmarks.BenchmarkMain "$@"
