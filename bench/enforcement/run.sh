#!/usr/bin/env bash
# Added cost of tether's enforcement per open+close, file create, exec and connect, measured against the same
# program run outside any sandbox and inside a monitor-only session, in one invocation, plus how
# long a policy reload takes to be in force inside a running sandbox. Prints a Markdown table.
#
#   sudo bench/enforcement/run.sh [ROUNDS]        (default 3 alternating rounds; medians reported)
#   OPS="open-uncached open-cached" sudo bench/enforcement/run.sh 3    (only these operations, no reload runs)
# The last column is the same enforcing session with --lock (the Landlock floor under the policy).
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
ROUNDS="${1:-3}"
OPENS=20000 EXECS="${EXECS:-300}" CONNECTS=5000 CREATES=5000
[[ $EUID -eq 0 ]] || { echo "run as root (the sandbox and its enforcement need it)" >&2; exit 1; }

work="$(mktemp -d /var/tmp/tether-enforcement-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/opbench" "$ROOT/bench/enforcement/opbench.c"
mkdir -p "$work/rw/new" "$work/w"
echo cached > "$work/rw/cached.txt"
echo uncached > "$work/w/read-only.txt"
echo shielded > "$work/read-only.txt"
# w/judged-true: /bin/true under a name an argv rule reaches, so every exec of it is judged in user
# space (the exec guard's per-exec approval); /bin/true itself is approved once by identity.
cp /bin/true "$work/w/judged-true"
# ro/judged-true: the same, in a directory the sandbox sees read-only (-v ...:ro), as /usr/bin/git
# is in the built-in sandbox: every open of it is allowed there, so after its first exec neither
# its exec nor the open half of it reaches the gate (the kernel decides the argv rule).
mkdir -p "$work/ro"
cp /bin/true "$work/ro/judged-true"
# create: new files in rw/new/, where every open of any name is allowed, so after the first one
# the kernel skips the directory's events; create-judged: new files in w/, whose children a
# statement tells apart (w/read-only.txt), so each create is a round trip to the gate.
# w/read-only.txt may be read, not written, on a writable mount (w/ may be written but for an
# exception, so tether keeps its mount writable): every open is decided in user space.
# rw/cached.txt may be read and written: after its first open the kernel skips it. read-only.txt
# may be read, not written, where no permit reaches: tether mounts that part of the project
# read-only, so after its first open the kernel skips it too.
cat > "$work/policy.cedar" <<POLICY
permit (principal, action == Action::"FileOpenReadOnly", resource)
when { resource in [Dir::"/usr/", Dir::"/etc/", Dir::"/dev/", Dir::"/proc/", Dir::"$work/"] };
permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource)
when { resource in [Dir::"$work/rw/", Dir::"/dev/null", Dir::"/tmp/"] };
permit (principal, action == Action::"FileOpenReadWrite", resource)
when { resource in Dir::"$work/w/" } unless { resource in [File::"$work/w/read-only.txt", File::"$work/w/judged-true"] };
permit (principal, action == Action::"ProcessExec", resource)
when { resource in [Dir::"/usr/bin/", Dir::"/bin/", Dir::"$work/"] };
permit (principal, action == Action::"NetworkConnect", resource in Host::"127.0.0.1");
forbid (principal, action == Action::"ProcessExec", resource == File::"$work/w/judged-true")
when { context.argv.contains("--never-given") };
forbid (principal, action == Action::"ProcessExec", resource == File::"$work/ro/judged-true")
when { context.argv.contains("--never-given") };
POLICY

"$ROOT/tether" --version >/dev/null # builds on first use, outside the measurement
run() { # label, tether args..., -- opbench args
  local label="$1"; shift
  local out
  if [[ "$label" == baseline ]]; then
    out="$(cd "$work" && "$@")"
  else
    # TETHER_TIMINGS: the session also says how long the file gate itself took per event
    out="$(cd "$work" && TETHER_TIMINGS=1 "$ROOT/tether" run -q --engine builtin "$@" 2>"$work/stderr")"
    if [[ "$label" == enforce ]]; then
      sed -n "s/^tether: timing file gate: /${cur_op:-?}: /p" "$work/stderr" >> "$work/gate-times"
    fi
  fi
  echo "$out" | sed -n 's/.* p50=\([0-9]*\).*/\1/p'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A r
ALL_OPS="open-uncached open-cached open-ro-part create create-judged exec exec-judged exec-judged-ro connect"
OPS="${OPS:-$ALL_OPS}"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS" >&2
  for op in $OPS; do
    cur_op=$op
    case $op in
      open-uncached) args=(open "$work/w/read-only.txt" $OPENS) ;;
      open-ro-part) args=(open "$work/read-only.txt" $OPENS) ;;
      open-cached) args=(open "$work/rw/cached.txt" $OPENS) ;;
      create) args=(create "$work/rw/new" $CREATES) ;;
      create-judged) args=(create "$work/w" $CREATES) ;;
      exec) args=(exec $EXECS) ;;
      exec-judged) args=(exec "$work/w/judged-true" $EXECS) ;;
      exec-judged-ro) args=(exec "$work/ro/judged-true" $EXECS) ;;
      connect) args=(connect $CONNECTS) ;;
    esac
    mounts=(-v "$work/ro:$work/ro:ro")
    r[$op,baseline]+="$(run baseline "$work/opbench" "${args[@]}") "
    r[$op,monitor]+="$(run monitor --monitor-only "${mounts[@]}" -- "$work/opbench" "${args[@]}") "
    r[$op,enforce]+="$(run enforce --policy "$work/policy.cedar" "${mounts[@]}" -- "$work/opbench" "${args[@]}") "
    r[$op,lock]+="$(run lock --lock --policy "$work/policy.cedar" "${mounts[@]}" -- "$work/opbench" "${args[@]}") "
  done
done

# Reload in force: the sandbox polls a file the policy forbids; the host drops the forbid and
# notes the time; the sandbox notes when its first read succeeds.
reload_ms=()
reload_runs=5
[[ "$OPS" == "$ALL_OPS" ]] || reload_runs=0
for i in $(seq 1 $reload_runs); do
  echo secret > "$work/flip.txt"
  cp "$work/policy.cedar" "$work/reload.cedar"
  echo '@id("flip") forbid (principal, action == Action::"FileOpenReadOnly", resource == File::"'"$work"'/flip.txt");' >> "$work/reload.cedar"
  rm -f "$work/rw/allowed-at" "$work/rw/ready"
  (cd "$work" && "$ROOT/tether" run -q --engine builtin --policy "$work/reload.cedar" -- sh -c \
     'touch rw/ready || exit 1; until cat flip.txt >/dev/null 2>&1; do :; done; date +%s%N > rw/allowed-at' >/dev/null 2>&1) &
  sb=$!
  until [[ -e "$work/rw/ready" ]]; do kill -0 $sb 2>/dev/null || { echo "the reload session ended before it was ready" >&2; exit 1; }; sleep 0.01; done
  sleep 0.3
  t0=$(date +%s%N)
  grep -v '@id("flip")' "$work/reload.cedar" > "$work/reload.next" && mv "$work/reload.next" "$work/reload.cedar"
  wait $sb
  reload_ms+=("$(( ($(cat "$work/rw/allowed-at") - t0) / 1000000 ))")
done

echo
echo "Machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| operation | outside any sandbox (p50) | tether monitor-only (p50) | tether enforcing (p50) | added by enforcement | enforcing + --lock (p50) | added by --lock |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for op in $OPS; do
  b=$(echo ${r[$op,baseline]} | tr ' ' '\n' | median)
  m=$(echo ${r[$op,monitor]} | tr ' ' '\n' | median)
  e=$(echo ${r[$op,enforce]} | tr ' ' '\n' | median)
  l=$(echo ${r[$op,lock]} | tr ' ' '\n' | median)
  printf '| %s | %s ns | %s ns | %s ns | %+d ns (%.2fx) | %s ns | %+d ns |\n' "$op" "$b" "$m" "$e" "$((e - b))" \
    "$(echo "$e / $b" | bc -l)" "$l" "$((l - e))"
done
echo
echo "The file gate's own time per event in the enforcing runs (event taken to answer ready), per operation and round:"
sed 's/^/    /' "$work/gate-times" 2>/dev/null || true
[[ $reload_runs -gt 0 ]] || exit 0
sorted=$(printf '%s\n' "${reload_ms[@]}" | sort -n | tr '\n' ' ')
echo
echo "Policy reload in force inside a running sandbox (file write → first allowed open), 5 runs: ${sorted}ms; median $(printf '%s\n' "${reload_ms[@]}" | median) ms"
