#!/usr/bin/env bash
# Event bus and audit store benchmarks, each against its baseline in the same invocation:
#   1. JMH: EventBus.publish vs one ArrayBlockingQueue.offer; AuditStore.append vs one INSERT per event.
#   2. End to end at a fixed rate (default 500,000 events/s for 20 s): publisher -> bus -> store,
#      then the same through the bus into the row-per-event baseline. Prints published/written/dropped.
# Usage: tether-bench/scripts/events-bench.sh [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE=${1:-500000}
SECONDS_=${2:-20}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export JAVA_HOME
CP_FILE=$(mktemp)
trap 'rm -f "$CP_FILE"' EXIT
./mvnw -B -q -pl tether-bench -am package dependency:build-classpath -DskipTests -Dmdep.outputFile="$CP_FILE" >/dev/null
CP="tether-bench/target/classes:$(cat "$CP_FILE")"
JAVA=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$CP")
echo "== host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
echo "== JMH (dev.tether.bench.events)"
"${JAVA[@]}" org.openjdk.jmh.Main 'dev\.tether\.bench\.events\..*' -rf text -rff /dev/null 2>&1 | grep -v '^SLF4J'
echo "== sustained ingest at ${RATE}/s for ${SECONDS_}s"
"${JAVA[@]}" dev.tether.bench.events.SustainedIngest store "$RATE" "$SECONDS_" 2>&1 | grep -v '^SLF4J'
"${JAVA[@]}" dev.tether.bench.events.SustainedIngest rows "$RATE" "$SECONDS_" 2>&1 | grep -v '^SLF4J'
