#!/usr/bin/env bash
# Policy replay of 1,000,000 recorded decisions, end to end as a user runs it: a cold
# `tether policy replay CANDIDATE --audit DB` (JVM start, policy load, reading the audit store,
# deciding, the report), against a baseline in the same invocation: `tether policy check CANDIDATE`
# (the same JVM start and policy load, no recording). The store and the candidate come from
# ReplayBenchMain --prepare-only (generated once, reused).
#
#   bench/learn/replay-cli.sh [RUNS]        (default 5 runs per command; prints medians)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUNS="${1:-5}"
JAR="$ROOT/tether-cli/target/tether.jar"
source "$ROOT/scripts/prerequisites.sh"
JAVA="$(tether_find_java)"
JAVA_OPTS=(--enable-native-access=ALL-UNNAMED)
(cd "$ROOT" && ./mvnw -B -q -pl tether-cli,tether-bench -am package -DskipTests dependency:build-classpath \
   -Dmdep.outputFile=target/classpath.txt >/dev/null)
DB="$ROOT/tether-bench/target/replay-bench/audit.db"
"$JAVA" "${JAVA_OPTS[@]}" -cp "$ROOT/tether-bench/target/classes:$(cat "$ROOT/tether-bench/target/classpath.txt")" \
  dev.tether.bench.learn.ReplayBenchMain --db "$DB" --prepare-only
CAND="$(dirname "$DB")/candidate.cedar"

median_ms() { # command...: runs it RUNS times, prints the median wall time in ms
  local t=()
  for ((i = 0; i < RUNS; i++)); do
    local s e
    s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
    t+=($(( (e - s) / 1000000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

cd "$(dirname "$DB")"
"$JAVA" "${JAVA_OPTS[@]}" -jar "$JAR" policy replay "$CAND" --audit "$DB" --project /home/dev/proj | head -8 || true
check=$(median_ms "$JAVA" "${JAVA_OPTS[@]}" -jar "$JAR" policy check "$CAND")
replay=$(median_ms "$JAVA" "${JAVA_OPTS[@]}" -jar "$JAR" policy replay "$CAND" --audit "$DB" --project /home/dev/proj)
echo
echo "| command (median of $RUNS, cold JVM each) | ms |"
echo "| --- | --- |"
echo "| tether policy check CANDIDATE (baseline: JVM start + policy load) | $check |"
echo "| tether policy replay CANDIDATE --audit DB (1,000,000 events) | $replay |"
echo "| replay minus baseline | $((replay - check)) |"
