#!/usr/bin/env bash
# CPU time tether's own JVM spends in one session of real work, by JIT configuration: the JVM's
# utime+stime (all its threads, the compilers' included) at the end of `tether run --monitor-only`
# of a zlib build (configure + make -j2), alternating configurations round by round. On a 2-core
# host every second tether's JVM computes is a second the agent's work does not get.
#
#   sudo bench/system/jvm-cpu.sh [ROUNDS]      (default 3; prints a Markdown table of medians)
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
ROUNDS="${1:-3}"
source "$ROOT/scripts/prerequisites.sh"
JAVA="$(tether_find_java)"
[[ $EUID -eq 0 ]] || { echo "run as root (sandboxes need it)" >&2; exit 1; }
CACHE=/var/cache/tether-bench
ZLIB_URL=http://deb.debian.org/debian/pool/main/z/zlib/zlib_1.2.13.dfsg.orig.tar.bz2
ZLIB_SHA256=71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1
mkdir -p "$CACHE"
if [[ ! -f "$CACHE/zlib.tar.bz2" ]]; then
  curl -sSfL -o "$CACHE/zlib.tar.bz2.part" "$ZLIB_URL"
  echo "$ZLIB_SHA256  $CACHE/zlib.tar.bz2.part" | sha256sum -c --quiet && mv "$CACHE/zlib.tar.bz2.part" "$CACHE/zlib.tar.bz2"
fi
"$ROOT/tether" --version >/dev/null # builds on first use, outside the measurement
WORK="$(mktemp -d /var/tmp/tether-jvm-cpu.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
cp "$ROOT/tether-cli/target/tether.jar" "$WORK/tether.jar"
cp "$CACHE/zlib.tar.bz2" "$WORK/"
cat > "$WORK/build.sh" <<'SH'
#!/bin/sh
set -eu
export HOME="$PWD/.home" TMPDIR="$PWD/.tmp"; mkdir -p "$HOME" "$TMPDIR"
rm -rf zlib-*/
tar --no-same-owner -xjf zlib.tar.bz2
cd zlib-*/ && ./configure >/dev/null && make -j2 >/dev/null 2>&1
SH
chmod +x "$WORK/build.sh"

# The launcher's options without its JIT choice, then each configuration (no AOT cache: the same for all).
COMMON=(-XX:+DisplayVMOutputToStderr -XX:+UseSerialGC)
names=("tiered (C1 + C2), the JVM's default" "C1 only (-XX:TieredStopAtLevel=1, what ./tether uses)"
       "tiered, C2 thresholds x10")
opts=("" "-XX:TieredStopAtLevel=1"
      "-XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=6000 -XX:Tier4CompileThreshold=150000 -XX:Tier4BackEdgeThreshold=400000")

one() { # options -> "cpu_seconds compiler_seconds events wall_ms"
  local t0 pid last="" comp=0 tck
  tck=$(getconf CLK_TCK)
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  (cd "$WORK" && exec "$JAVA" "${COMMON[@]}" $1 -jar "$WORK/tether.jar" run --engine builtin --monitor-only -q \
     -- ./build.sh) 2>"$WORK/err" >/dev/null &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    last="$(cat /proc/$pid/stat 2>/dev/null || echo "$last")"
    local c=0 t
    for t in /proc/$pid/task/*; do
      [[ "$(cat "$t/comm" 2>/dev/null)" == C[12]\ Compiler* ]] || continue
      c=$(( c + $(awk '{ sub(/^.*\) /,""); print $12+$13 }' "$t/stat" 2>/dev/null || echo 0) ))
    done
    (( c > comp )) && comp=$c
    sleep 0.1
  done
  wait "$pid"
  local events
  events="$(sed -n 's/^tether: *\([0-9]*\) events recorded.*/\1/p' "$WORK/err")"
  echo "$last" | awk -v t="$tck" -v c="$comp" -v e="${events:-0}" -v w="$(( ($(date +%s%N) - t0) / 1000000 ))" \
    '{ sub(/^.*\) /,""); printf "%.2f %.2f %s %s\n", ($12+$13)/t, c/t, e, w }'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A cpu comp ev wall
one "" >/dev/null # warm-up: page cache, CA, audit store
for r in $(seq 1 "$ROUNDS"); do
  for i in "${!opts[@]}"; do
    echo "round $r/$ROUNDS: ${names[$i]}" >&2
    read -r c k e w < <(one "${opts[$i]}")
    cpu[$i]+="$c "; comp[$i]+="$k "; ev[$i]+="$e "; wall[$i]+="$w "
  done
done
echo
echo "Machine: $(nproc) cores, $(uname -r), $("$JAVA" -version 2>&1 | head -1); load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| JIT configuration | tether JVM CPU (s, median of $ROUNDS) | of which compiler threads | events recorded | session wall clock (ms) | runs (CPU s) |"
echo "| --- | --- | --- | --- | --- | --- |"
for i in "${!opts[@]}"; do
  printf '| %s | %s | %s | %s | %s | %s |\n' "${names[$i]}" "$(tr ' ' '\n' <<<"${cpu[$i]}" | grep . | median)" \
    "$(tr ' ' '\n' <<<"${comp[$i]}" | grep . | median)" "$(tr ' ' '\n' <<<"${ev[$i]}" | grep . | median)" \
    "$(tr ' ' '\n' <<<"${wall[$i]}" | grep . | median)" "${cpu[$i]% }"
done
