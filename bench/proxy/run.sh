#!/usr/bin/env bash
# Proxy overhead: direct vs through tether's proxy in the same run (see BENCHMARKS.md, "Proxy").
# Usage: bench/proxy/run.sh [--requests N] [--seconds S] [--connections C] [--handshakes H]
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
./mvnw -B -q -pl tether-bench -am compile dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime >/dev/null
cp="tether-bench/target/classes:tether-proxy/target/classes:tether-policy/target/classes:tether-events/target/classes:$(cat "$cp_file")"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xms512m -Xmx512m -cp "$cp" \
  dev.tether.bench.proxy.ProxyOverheadBench "$@"
