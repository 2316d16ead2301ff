#!/usr/bin/env bash
# Added cost of tether's enforcement per open+close, exec and connect, measured against the same
# program run outside any sandbox and inside a monitor-only session, in one invocation, plus how
# long a policy reload takes to be in force inside a running sandbox. Prints a Markdown table.
#
#   sudo bench/enforcement/run.sh [ROUNDS]        (default 3 alternating rounds; medians reported)
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
ROUNDS="${1:-3}"
OPENS=20000 EXECS=300 CONNECTS=5000
[[ $EUID -eq 0 ]] || { echo "run as root (the sandbox and its enforcement need it)" >&2; exit 1; }

work="$(mktemp -d /var/tmp/tether-enforcement-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/opbench" "$ROOT/bench/enforcement/opbench.c"
echo cached > "$work/cached.txt"
cat > "$work/policy.cedar" <<POLICY
permit (principal, action == Action::"FileOpenReadOnly", resource)
when { resource in [Dir::"/usr/", Dir::"/etc/", Dir::"/dev/", Dir::"/proc/"] };
permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource)
when { resource in [Dir::"$work/", Dir::"/dev/null", Dir::"/tmp/"] };
permit (principal, action == Action::"ProcessExec", resource)
when { resource in [Dir::"/usr/bin/", Dir::"/bin/", Dir::"$work/"] };
permit (principal, action == Action::"NetworkConnect", resource in Host::"127.0.0.1");
POLICY

"$ROOT/tether" --version >/dev/null # builds on first use, outside the measurement
run() { # label, tether args..., -- opbench args
  local label="$1"; shift
  local out
  if [[ "$label" == baseline ]]; then
    out="$(cd "$work" && "$@")"
  else
    out="$(cd "$work" && "$ROOT/tether" run -q --engine builtin "$@" 2>/dev/null)"
  fi
  echo "$out" | sed -n 's/.* p50=\([0-9]*\).*/\1/p'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A r
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS" >&2
  for op in open-uncached open-cached exec connect; do
    case $op in
      open-uncached) args=(open /etc/hostname $OPENS) ;;  # read-only permit: never cached
      open-cached) args=(open "$work/cached.txt" $OPENS) ;; # read-write permit: kernel-cached after the first
      exec) args=(exec $EXECS) ;;
      connect) args=(connect $CONNECTS) ;;
    esac
    r[$op,baseline]+="$(run baseline "$work/opbench" "${args[@]}") "
    r[$op,monitor]+="$(run monitor --monitor-only -- "$work/opbench" "${args[@]}") "
    r[$op,enforce]+="$(run enforce --policy "$work/policy.cedar" -- "$work/opbench" "${args[@]}") "
  done
done

# Reload in force: the sandbox polls a file the policy forbids; the host drops the forbid and
# notes the time; the sandbox notes when its first read succeeds.
reload_ms=()
for i in $(seq 1 5); do
  echo secret > "$work/flip.txt"
  cp "$work/policy.cedar" "$work/reload.cedar"
  echo '@id("flip") forbid (principal, action == Action::"FileOpenReadOnly", resource == File::"'"$work"'/flip.txt");' >> "$work/reload.cedar"
  rm -f "$work/allowed-at" "$work/ready"
  (cd "$work" && "$ROOT/tether" run -q --engine builtin --policy "$work/reload.cedar" -- sh -c \
     'touch ready; until cat flip.txt >/dev/null 2>&1; do :; done; date +%s%N > allowed-at' >/dev/null 2>&1) &
  sb=$!
  until [[ -e "$work/ready" ]]; do sleep 0.01; done
  sleep 0.3
  t0=$(date +%s%N)
  grep -v '@id("flip")' "$work/reload.cedar" > "$work/reload.next" && mv "$work/reload.next" "$work/reload.cedar"
  wait $sb
  reload_ms+=("$(( ($(cat "$work/allowed-at") - t0) / 1000000 ))")
done

echo
echo "Machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| operation | outside any sandbox (p50) | tether monitor-only (p50) | tether enforcing (p50) | added by enforcement |"
echo "| --- | --- | --- | --- | --- |"
for op in open-uncached open-cached exec connect; do
  b=$(echo ${r[$op,baseline]} | tr ' ' '\n' | median)
  m=$(echo ${r[$op,monitor]} | tr ' ' '\n' | median)
  e=$(echo ${r[$op,enforce]} | tr ' ' '\n' | median)
  printf '| %s | %s ns | %s ns | %s ns | %+d ns (%.2fx) |\n' "$op" "$b" "$m" "$e" "$((e - b))" "$(echo "$e / $b" | bc -l)"
done
sorted=$(printf '%s\n' "${reload_ms[@]}" | sort -n | tr '\n' ' ')
echo
echo "Policy reload in force inside a running sandbox (file write → first allowed open), 5 runs: ${sorted}ms; median $(printf '%s\n' "${reload_ms[@]}" | median) ms"
