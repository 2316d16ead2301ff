#!/usr/bin/env bash
# The cost of the project's read-only mounts (docs/enforcement.md, "Read-only where no permit can
# write"), in one invocation:
#  1. the tether-mounts helper alone, making a read-only project with one writable island and
#     undoing it, against a static program doing nothing (the cost of starting a process at all);
#  2. inside a running session, how long each reload that changes the layout spends on the mounts
#     after the new policy is in force at the gate (TETHER_TIMINGS), RELOADS times.
#
#   sudo bench/enforcement/mounts.sh [RUNS] [RELOADS]     (defaults 200 and 10; prints medians)
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
RUNS="${1:-200}"
RELOADS="${2:-10}"
[[ $EUID -eq 0 ]] || { echo "run as root (mount namespaces, the sandbox)" >&2; exit 1; }
"$ROOT/tether" --version >/dev/null # builds on first use, outside the measurement
work="$(mktemp -d /var/tmp/tether-mounts-bench.XXXXXX)"
ns=""
trap '[[ -n "$ns" ]] && kill "$ns" 2>/dev/null; rm -rf "$work"' EXIT
helper="$ROOT/tether-kernel/target/classes/bpf/tether-mounts"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s%N; }

# 1. A mount namespace of its own holding the project bind-mounted over itself, as a sandbox has it.
mkdir -p "$work/p/src" "$work/jar"
unshare --mount --propagation private sh -c 'mount --bind "$0" "$0" && echo $$ > "$0/../ns.pid" && exec sleep 3600' "$work/p" &
ns=$!
until [[ -s "$work/ns.pid" ]]; do sleep 0.01; done
pid="$(cat "$work/ns.pid")"
base=() help=()
for i in $(seq 1 "$RUNS"); do
  t0=$(now); "$helper" --pid "$pid" ro "$work/p" bind-rw "$work/p/src" >/dev/null
  t1=$(now); /usr/bin/true
  t2=$(now); "$helper" --pid "$pid" detach "$work/p/src" rw "$work/p" >/dev/null
  t3=$(now)
  help+=($(( (t1 - t0) / 1000 )) $(( (t3 - t2) / 1000 )))
  base+=($(( (t2 - t1) / 1000 )))
done
h=$(printf '%s\n' "${help[@]}" | median)
b=$(printf '%s\n' "${base[@]}" | median)
echo "helper run (2 mount changes): median ${h} µs; /usr/bin/true (baseline): median ${b} µs; ratio $(awk -v h="$h" -v b="$b" 'BEGIN {printf "%.2f", h / b}')"

# 2. Reloads that flip the layout in a running session (whole project writable <-> src/ only).
cp "$ROOT/tether-cli/target/tether.jar" "$work/jar/tether.jar"
mkdir -p "$work/s/src" "$work/s/.tether"
read_exec='permit (principal, action in [Action::"FileOpenReadOnly", Action::"ProcessExec"], resource);'
printf '%s\npermit (principal, action == Action::"FileOpenReadWrite", resource) when { resource in [Dir::"/dev/", Dir::"/workspace/"] };\n' "$read_exec" > "$work/whole.cedar"
printf '%s\npermit (principal, action == Action::"FileOpenReadWrite", resource) when { resource in [Dir::"/dev/", Dir::"/workspace/src/"] };\n' "$read_exec" > "$work/island.cedar"
cp "$work/island.cedar" "$work/s/.tether/policy.cedar"
(cd "$work/s" && TETHER_JAR="$work/jar/tether.jar" TETHER_TIMINGS=1 "$ROOT/tether" run -q --engine builtin \
   --policy "$work/s/.tether/policy.cedar" -- sh -c 'until [ -e /workspace/.tether/stop ]; do sleep 0.1; done' \
   >/dev/null 2>"$work/session.err") &
session=$!
until grep -q "kernel guards attached\|limits:" "$work/session.err" 2>/dev/null; do
  kill -0 "$session" 2>/dev/null || { cat "$work/session.err" >&2; exit 1; }; sleep 0.05
done
sleep 1
for i in $(seq 1 "$RELOADS"); do
  if (( i % 2 )); then src="$work/whole.cedar"; else src="$work/island.cedar"; fi
  { cat "$src"; echo "// reload $i"; } > "$work/s/.tether/policy.tmp"
  mv "$work/s/.tether/policy.tmp" "$work/s/.tether/policy.cedar"
  until grep -q "generation $((i + 1)))" "$work/session.err"; do sleep 0.02; done
  sleep 0.3
done
touch "$work/s/.tether/stop"
wait "$session" || true
grep -o "in force [0-9.]* ms" "$work/session.err" | awk '{print $3}' > "$work/inforce"
grep -o "project's mounts [0-9.]* ms" "$work/session.err" | awk '{print $3}' > "$work/mounts"
echo "reloads flipping the layout: $(wc -l < "$work/mounts"); in force at the gate: median $(median < "$work/inforce") ms;" \
     "then the mounts: median $(median < "$work/mounts") ms (all: $(tr '\n' ' ' < "$work/mounts"))"
