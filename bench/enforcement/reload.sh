#!/usr/bin/env bash
# Policy reload in force inside a running sandbox, alone (the end of run.sh, with more runs): the
# sandbox polls a file the policy forbids; the host drops the forbid by writing the policy anew
# and renaming it into place, notes the time, and the sandbox notes when its first read succeeds.
#
#   sudo bench/enforcement/reload.sh [RUNS]               (default 7; this tree's jar)
#   BASELINE_JAR=/path/tether.jar sudo bench/enforcement/reload.sh 7
#        alternates runs of that jar (label "baseline") and this tree's jar ("this tree"), so both
#        see the same load; a median per label.
#   WRITER=inplace ...   rewrites the file in place (grep > tmp; cat tmp > policy) instead of mv
#
# With TETHER_TIMINGS=1 in the session, tether prints where each reload's time went; those lines
# are collected per label.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
RUNS="${1:-7}"
WRITER="${WRITER:-rename}"
[[ $EUID -eq 0 ]] || { echo "run as root (the sandbox and its enforcement need it)" >&2; exit 1; }

work="$(mktemp -d /var/tmp/tether-reload-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rw"
cat > "$work/policy.cedar" <<POLICY
permit (principal, action == Action::"FileOpenReadOnly", resource)
when { resource in [Dir::"/usr/", Dir::"/etc/", Dir::"/dev/", Dir::"/proc/", Dir::"$work/"] };
permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource)
when { resource in [Dir::"$work/rw/", Dir::"/dev/null", Dir::"/tmp/"] };
permit (principal, action == Action::"ProcessExec", resource)
when { resource in [Dir::"/usr/bin/", Dir::"/bin/", Dir::"$work/"] };
POLICY

# This tree's jar, copied so a build during the run changes nothing.
"$ROOT/tether" --version >/dev/null
cp "$ROOT/tether-cli/target/tether.jar" "$work/this.jar"
labels=("this tree")
jars=("$work/this.jar")
if [[ -n "${BASELINE_JAR:-}" ]]; then
  labels=("baseline" "this tree")
  jars=("$BASELINE_JAR" "$work/this.jar")
fi
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A ms timing
for i in $(seq 1 "$RUNS"); do
  for j in "${!jars[@]}"; do
    echo "run $i/$RUNS: ${labels[$j]}" >&2
    echo secret > "$work/flip.txt"
    cp "$work/policy.cedar" "$work/reload.cedar"
    echo '@id("flip") forbid (principal, action == Action::"FileOpenReadOnly", resource == File::"'"$work"'/flip.txt");' >> "$work/reload.cedar"
    rm -f "$work/rw/allowed-at" "$work/rw/ready"
    (cd "$work" && TETHER_JAR="${jars[$j]}" TETHER_TIMINGS=1 "$ROOT/tether" run -q --engine builtin \
       --policy "$work/reload.cedar" -- sh -c \
       'touch rw/ready; until cat flip.txt >/dev/null 2>&1; do :; done; date +%s%N > rw/allowed-at' \
       >/dev/null 2>"$work/stderr") &
    sb=$!
    until [[ -e "$work/rw/ready" ]]; do sleep 0.01; done
    sleep 0.3
    t0=$(date +%s%N)
    if [[ "$WRITER" == inplace ]]; then
      grep -v '@id("flip")' "$work/reload.cedar" > "$work/reload.next" && cat "$work/reload.next" > "$work/reload.cedar"
    else
      grep -v '@id("flip")' "$work/reload.cedar" > "$work/reload.next" && mv "$work/reload.next" "$work/reload.cedar"
    fi
    wait $sb
    ms[${labels[$j]}]+="$(( ($(cat "$work/rw/allowed-at") - t0) / 1000000 )) "
    timing[${labels[$j]}]+="$(sed -n 's/^tether: timing reload: /    /p' "$work/stderr")"$'\n'
  done
done

echo
echo "Machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); writer: $WRITER"
for l in "${labels[@]}"; do
  sorted=$(echo ${ms[$l]} | tr ' ' '\n' | sort -n | tr '\n' ' ')
  echo "$l: reload in force (write → first allowed open), $RUNS runs: ${sorted}ms; median $(echo ${ms[$l]} | tr ' ' '\n' | median) ms"
  [[ -z "${timing[$l]//[[:space:]]/}" ]] || printf '%s' "${timing[$l]}" | sed '/^$/d'
done
