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
#   EDIT=permit TREE=50000 ...   the edit widens a permit (flip.txt was excluded by an unless) and
#        keeps the forbids (one forbid on a file in a tree of TREE files the project also holds):
#        the case where the forbidden-inode scan's answer is known; default EDIT=forbid drops a forbid.
#
# With TETHER_TIMINGS=1 in the session, tether prints where each reload's time went; those lines
# are collected per label.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
RUNS="${1:-7}"
WRITER="${WRITER:-rename}"
EDIT="${EDIT:-forbid}"
TREE="${TREE:-0}"
[[ $EUID -eq 0 ]] || { echo "run as root (the sandbox and its enforcement need it)" >&2; exit 1; }

work="$(mktemp -d /var/tmp/tether-reload-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rw"
if [[ "$TREE" -gt 0 ]]; then
  for d in $(seq 1 100); do
    mkdir -p "$work/tree/d$d"
    (cd "$work/tree/d$d" && seq 1 $((TREE / 100)) | xargs touch)
  done
  echo secret > "$work/tree/secret"
fi
project_read='Dir::"'"$work"'/"'
[[ "$EDIT" == permit ]] && project_read='Dir::"'"$work"'/rw/"'
cat > "$work/policy.cedar" <<POLICY
permit (principal, action == Action::"FileOpenReadOnly", resource)
when { resource in [Dir::"/usr/", Dir::"/etc/", Dir::"/dev/", Dir::"/proc/", $project_read] };
forbid (principal, action == Action::"FileOpenReadOnly", resource == File::"$work/tree/secret");
permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource)
when { resource in [Dir::"$work/rw/", Dir::"/dev/null", Dir::"/tmp/"] };
permit (principal, action == Action::"ProcessExec", resource)
when { resource in [Dir::"/usr/bin/", Dir::"/bin/", Dir::"$work/"] };
POLICY

# This tree's jar, copied so a build during the run changes nothing.
"$ROOT/tether" --version >/dev/null
# In a directory of its own: the project ($work) must not be the jar's directory, which tether
# protects (read-only in the sandbox, and with it the whole project).
mkdir -p "$work/jar"
cp "$ROOT/tether-cli/target/tether.jar" "$work/jar/this.jar"
labels=("this tree")
jars=("$work/jar/this.jar")
if [[ -n "${BASELINE_JAR:-}" ]]; then
  labels=("baseline" "this tree")
  jars=("$BASELINE_JAR" "$work/jar/this.jar")
fi
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A ms timing
for i in $(seq 1 "$RUNS"); do
  for j in "${!jars[@]}"; do
    echo "run $i/$RUNS: ${labels[$j]}" >&2
    echo secret > "$work/flip.txt"
    cp "$work/policy.cedar" "$work/reload.cedar"
    if [[ "$EDIT" == permit ]]; then
      echo '@id("flip") permit (principal, action == Action::"FileOpenReadOnly", resource) when { resource in Dir::"'"$work"'/" } unless { resource == File::"'"$work"'/flip.txt" };' >> "$work/reload.cedar"
    else
      echo '@id("flip") forbid (principal, action == Action::"FileOpenReadOnly", resource == File::"'"$work"'/flip.txt");' >> "$work/reload.cedar"
    fi
    rm -f "$work/rw/allowed-at" "$work/rw/ready"
    (cd "$work" && TETHER_JAR="${jars[$j]}" TETHER_TIMINGS=1 "$ROOT/tether" run -q --engine builtin \
       --policy "$work/reload.cedar" -- sh -c \
       'touch rw/ready || exit 1; until cat flip.txt >/dev/null 2>&1; do :; done; date +%s%N > rw/allowed-at' \
       >/dev/null 2>"$work/stderr") &
    sb=$!
    # A session that could not start would leave this wait forever: stop with what it said.
    until [[ -e "$work/rw/ready" ]]; do kill -0 $sb 2>/dev/null || { cat "$work/stderr" >&2; exit 1; }; sleep 0.01; done
    sleep 0.3
    t0=$(date +%s%N)
    if [[ "$EDIT" == permit ]]; then edit=(sed '/@id("flip")/s/ unless {[^}]*}//'); else edit=(grep -v '@id("flip")'); fi
    if [[ "$WRITER" == inplace ]]; then
      "${edit[@]}" "$work/reload.cedar" > "$work/reload.next" && cat "$work/reload.next" > "$work/reload.cedar"
    else
      "${edit[@]}" "$work/reload.cedar" > "$work/reload.next" && mv "$work/reload.next" "$work/reload.cedar"
    fi
    tw=$(date +%s%N)
    wait $sb
    t1=$(cat "$work/rw/allowed-at")
    ms[${labels[$j]}]+="$(( (t1 - t0) / 1000000 )) "
    line=$(sed -n 's/^tether: timing reload: /    /p' "$work/stderr")
    seen=$(echo "$line" | sed -n 's/.*seen at epoch ns \([0-9]*\).*/\1/p')
    inforce=$(echo "$line" | sed -n 's/.*in force at epoch ns \([0-9]*\).*/\1/p')
    if [[ -n "$seen" && -n "$inforce" ]]; then
      line+=$(printf '\n      edit command (%s + mv/cat, then date) %.1f ms; write → seen by tether %.1f ms; in force → first allowed read %.1f ms' \
        "${edit[0]}" "$(echo "($tw - $t0) / 1000000" | bc -l)" "$(echo "($seen - $t0) / 1000000" | bc -l)" \
        "$(echo "($t1 - $inforce) / 1000000" | bc -l)")
    fi
    timing[${labels[$j]}]+="$line"$'\n'
  done
done

echo
echo "Machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); writer: $WRITER, edit: $EDIT, tree: $TREE files"
for l in "${labels[@]}"; do
  sorted=$(echo ${ms[$l]} | tr ' ' '\n' | sort -n | tr '\n' ' ')
  echo "$l: reload in force (write → first allowed open), $RUNS runs: ${sorted}ms; median $(echo ${ms[$l]} | tr ' ' '\n' | median) ms"
  [[ -z "${timing[$l]//[[:space:]]/}" ]] || printf '%s' "${timing[$l]}" | sed '/^$/d'
done
