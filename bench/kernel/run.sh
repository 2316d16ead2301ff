#!/bin/sh
# Kernel monitoring benchmark: per-operation cost (open+close, fork+exec) with and without the
# monitor, inside and outside a sandbox cgroup; events/s into Java for both ring readers; and the
# wall-clock overhead on a real build. Every figure is printed next to a baseline measured in the
# same run. Needs root (BPF, cgroups). Results: BENCHMARKS.md, "Kernel monitoring".
#
#   bench/kernel/run.sh [rounds]        (default 5; BENCH_PARTS=ops,throughput,build selects parts)
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
ROUNDS=${1:-5}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export JAVA_HOME
OUT="$ROOT/target/bench-kernel"
mkdir -p "$OUT"

if [ "$(id -u)" != 0 ]; then
    echo "bench/kernel/run.sh: needs root (loads BPF programs, creates cgroups)" >&2
    exit 1
fi

echo "== building tether.jar and the loop program"
./mvnw -B -q -pl tether-cli -am package -DskipTests
clang -O2 -static -o "$OUT/syscall_loop" bench/kernel/syscall_loop.c

# Real builds: this project's own tether-policy module (javac through Maven, offline), and its
# BPF objects (clang, a C build that opens thousands of headers). Set BUILD= / BUILD_C= to skip one.
BUILD=${BUILD-"$ROOT/mvnw -B -q -o -f $ROOT/pom.xml -pl tether-policy clean compile"}
BUILD_C=${BUILD_C-"make -s -B -C $ROOT/tether-kernel/src/main/bpf OUT=$OUT/bpf-objects GEN=$OUT/bpf-gen"}

echo "== measuring (rounds: $ROUNDS)"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp tether-cli/target/tether.jar \
    bench/kernel/KernelMonitorBench.java "$OUT/syscall_loop" "$ROUNDS" "$BUILD" "$BUILD_C"
