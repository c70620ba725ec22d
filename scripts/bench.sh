#!/usr/bin/env bash
# Builds Nightshift and runs the benchmark (bench/README.md) against the local MariaDB + Redis
# (`bash scripts/services.sh` prepares them). Drops every table of the database nightshift_bench.
# Arguments go to the benchmark: n=LINES r=RUNS c=CLIENTS liveLines= liveIntervalMs=
# parts=logs,runs,live,fires jobs= seconds= warmup= fireMode=run|claim quartz=jdbc|clustered|both|none
# quartzThreads= quartz.db.url= db.url= db.user= db.password= redis.url=   (defaults: bench/README.md)
# Extra JVM options: BENCH_JAVA_OPTS. Skip the build: BENCH_NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  mvn -q -DskipTests package
fi
# Compiler threads stay alive, so the JIT's CPU read from /proc/self/task is never lost with a
# thread the JVM retired.
exec java -Xms1g -Xmx2g -XX:-UseDynamicNumberOfCompilerThreads ${BENCH_JAVA_OPTS:-} \
  -cp 'bench/target/nightshift-bench.jar:bench/target/lib/*' \
  io.nightshift.bench.Benchmark "$@"
