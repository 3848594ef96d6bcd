#!/usr/bin/env bash
# Builds the benchmarks module (and the modules it depends on) and runs the side-by-side benchmark.
#
#   benchmarks/run.sh [BenchmarkMain options]
#   benchmarks/run.sh --runners=MicroBatchRunner,DirectRunner,FlinkRunner \
#                     --pipelines=sum-per-key-100,sum-per-key-1m --warmups=2 --iterations=5 --markdown
#   benchmarks/run.sh streaming-epoch-cost | latency | stateful-streaming | ui-overhead [options]
#                     (MicroBatchRunner streaming benchmarks; see StreamingBenchmarks and docs/benchmarks.md)
#   benchmarks/run.sh stateful-streaming --runners=RealtimeRunner --realtime-checkpoints=none,disk [--keys=1m]
#                     [--checkpoint-interval=100ms] [--realtime-args=--stateBackend=rocksdb]
#                     (RealtimeRunner with and without barrier checkpoints: cost, write and RocksDB snapshot times)
#   benchmarks/run.sh kafka-latency [--systems=beamline,floor] [--intervals=100ms,1s] [--rate=2000]
#                     [--seconds=30] [--warmup-seconds=10] [--iterations=2] [--count-per-key] [options]
#                     (systems: beamline[-alo] on MicroBatchRunner, realtime[-cp|-eos] on RealtimeRunner
#                      (-cp: barrier checkpoints every interval; -eos: and the exactly-once sink), floor[-alo];
#                      --count-per-key adds a keyed running count, every update emitted)
#   benchmarks/run.sh kafka-throughput [--systems=beamline,beamline-1m,floor] [--intervals=1s]
#                     [--records=2m] [--warmup-records=200k] [--warmups=1] [--iterations=2] [options]
#                     (Kafka -> transform -> Kafka exactly-once on MicroBatchRunner vs a plain kafka-clients
#                      loop; embedded broker in the parent JVM; see KafkaBenchmarks and docs/benchmarks.md)
#   benchmarks/run.sh nexmark [--queries=0,1,2] [--events=1m] [--check-events=100k] [--streaming]
#                     [--runners=MicroBatchRunner,DirectRunner,FlinkRunner] [--runner-events=DirectRunner=50k]
#                     (Beam's Nexmark queries 0-12 on every runner, model-checked, digests compared;
#                      see NexmarkBenchmarks and docs/benchmarks.md)
#   benchmarks/run.sh lakehouse [--parts=throughput,near-empty] [--records=1m] [--parallelisms=1,2]
#                     [--intervals=1s,100ms] [--near-empty-seconds=30] [--markdown]
#                     (IcebergIO.write() on MicroBatchRunner vs the same pipeline dropping its rows, and Iceberg's
#                      own writer in one thread; see LakehouseBenchmarks and docs/benchmarks.md)
#
# Environment:
#   BUILD=am      (default) mvn -pl benchmarks -am package: builds sdk, runner-microbatch, examples, io-kafka too
#   BUILD=module  mvn -pl benchmarks package: uses sibling modules already installed in ~/.m2
#                 (mvn -B -q install -DskipTests -pl sdk,runner-microbatch,examples,io-kafka)
#   BUILD=none    no build; reuse benchmarks/target/classes and benchmarks/target/classpath.txt
#   MVN_ARGS      extra Maven arguments, e.g. MVN_ARGS=-o
#   PIN_JARS=1    run against copies of the Beamline jars taken from ~/.m2 at start (benchmarks/target/pinned-jars),
#                 so that a concurrent `mvn install` cannot swap them between child JVMs
#   JAVA          java binary for the parent (children use the same one), default: java on PATH
#
# The parent JVM is small (-Xmx512m; -Xmx2g for the kafka-* modes, whose parent also runs the embedded broker,
# the load generator and the output consumer); each runner or system gets its own child JVM (-Xmx4g by
# default, see --heap).
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

# PIN_JARS=1: copy the Beamline jars the classpath takes from ~/.m2 (sdk, runner-microbatch, io-kafka, ...) to
# benchmarks/target/pinned-jars and run against the copies, so that an `mvn install` by someone else during a
# long run does not change the code under test between two child JVMs. The copies' times are printed.
if [[ "${PIN_JARS:-0}" == "1" ]]; then
  pinned="benchmarks/target/pinned-jars"
  rm -rf "$pinned" && mkdir -p "$pinned"
  new_cp=""
  IFS=":" read -r -a entries < "$cpfile" || true  # no trailing newline: read returns 1
  for e in "${entries[@]}"; do
    if [[ "$e" == */io/beamline/*.jar ]]; then
      cp -p "$e" "$pinned/" && e="$pinned/$(basename "$e")"
      echo "pinned $(basename "$e") ($(date -u -r "$e" '+%Y-%m-%d %H:%M:%S UTC'))" >&2
    fi
    new_cp="${new_cp:+$new_cp:}$e"
  done
  printf '%s' "$new_cp" > "$pinned/classpath.txt"
  cpfile="$pinned/classpath.txt"
fi

java_bin="${JAVA:-java}"
parent_heap=512m
case "${1:-}" in
  kafka-*) parent_heap=2g ;;
esac
BEAMLINE_BENCH_LAUNCHER="benchmarks/run.sh" exec "$java_bin" "-Xmx$parent_heap" -cp "benchmarks/target/classes:$(cat "$cpfile")" \
  io.beamline.benchmarks.BenchmarkMain "$@"
