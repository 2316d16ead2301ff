#!/usr/bin/env bash
# Sandbox start-up: `tether run -- true` against `podman run --rm IMAGE true` (docker against
# `docker run --rm IMAGE true` when dockerd runs; the built-in engine against bare bubblewrap), in
# the same invocation, warm (each command runs once before
# timing, commands interleaved round by round so load changes hit all of them alike). tether is
# started by ./tether (TETHER_JAR=copy): its JVM options and AOT cache, trained by one session;
# the "warm start" rows with TETHER_SPARE=1 (a spare tether started by the previous such run).
# With BEFORE_JAR=path, an older tether.jar (one with the AOT launcher and tether-attach) is measured
# in the same rounds, cold and warm, started by this launcher on a copy of its own.
#
#   sudo [BEFORE_JAR=old/tether.jar] bench/startup/startup.sh [RUNS]   (default 15; prints medians)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUNS="${1:-15}"
JAR="$ROOT/tether-cli/target/tether.jar"
source "$ROOT/scripts/prerequisites.sh"
JAVA="$(tether_find_java)"
"$ROOT/tether" --version >/dev/null # builds on first use (only the CLI's modules), outside the measurement
WORK="$(mktemp -d /tmp/tether-bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
# A build in the worktree during the run must not change what is measured; in a directory of its
# own, as the sessions' project ($WORK) must not be the jar's directory (read-only in the sandbox).
mkdir -p "$WORK/jar"
cp "$JAR" "$WORK/jar/tether.jar"
JAR="$WORK/jar/tether.jar"
# tether as users start it: the launcher (./tether), on the copied jar, with its JVM options and
# its AOT cache (JEP 483/514/515), which the launcher trains on the first session (run here once).
TETHER=(env TETHER_JAR="$JAR" "$ROOT/tether")

IMAGE="$("${TETHER[@]}" image build --minimal 2>/dev/null | tail -n1)"
"${TETHER[@]}" run --engine builtin -q -- true >/dev/null 2>&1
[[ -f "$WORK/jar/tether.aot" ]] || echo "warning: the launcher wrote no start-up cache; tether runs without one" >&2

names=() cmds=()
add() { names+=("$1"); shift; cmds+=("$(printf '%q ' "$@")"); }
add "podman run --rm IMAGE true (baseline)" \
  podman --runtime=runc run --rm --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$IMAGE" true
add "bwrap ... true (baseline)" \
  bwrap --unshare-pid --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib64 /lib64 --symlink usr/lib /lib \
  --proc /proc --dev /dev true
if [[ -n "${BEFORE_JAR:-}" ]]; then
  # The older build started by this launcher on a copy of its own (its own start-up cache and
  # native directory, trained by one session), cold and warm (a spare socket of its own).
  cp "$BEFORE_JAR" "$WORK/jar/before.jar"
  BEFORE=(env TETHER_JAR="$WORK/jar/before.jar" "$ROOT/tether")
  BEFORE_WARM=(env TETHER_JAR="$WORK/jar/before.jar" TETHER_SPARE=1 TETHER_SPARE_SOCKET="$WORK/spare-before.sock" "$ROOT/tether")
  "${BEFORE[@]}" run --engine builtin -q -- true >/dev/null 2>&1
  add "before: tether run --engine podman -- true" "${BEFORE[@]}" run --engine podman --image "$IMAGE" -q -- true
  add "before: tether run --engine builtin -- true" "${BEFORE[@]}" run --engine builtin -q -- true
  add "before: tether run --engine builtin -- true, warm start" "${BEFORE_WARM[@]}" run --engine builtin -q -- true
  add "before: tether run --engine podman -- true, warm start" "${BEFORE_WARM[@]}" run --engine podman --image "$IMAGE" -q -- true
fi
add "tether run --engine podman -- true" "${TETHER[@]}" run --engine podman --image "$IMAGE" -q -- true
add "tether run --engine builtin -- true" "${TETHER[@]}" run --engine builtin -q -- true
add "tether run --engine builtin --no-network -- true" "${TETHER[@]}" run --engine builtin --no-network -q -- true
add "tether --version (JVM floor)" "${TETHER[@]}" --version
# Warm start (docs/sandbox.md): each run hands its command to the spare the previous warm run
# started. Every timed command first waits until no spare is still warming up (settle below), so
# no row pays for another's spare; the spare's own CPU is printed at the end.
SPARE_SOCKET="$WORK/spare.sock"
WARM=(env TETHER_JAR="$JAR" TETHER_SPARE=1 TETHER_SPARE_SOCKET="$SPARE_SOCKET" "$ROOT/tether")
add "tether run --engine builtin -- true, warm start" "${WARM[@]}" run --engine builtin -q -- true
add "tether run --engine podman -- true, warm start" "${WARM[@]}" run --engine podman --image "$IMAGE" -q -- true
if [[ -S /var/run/docker.sock ]] && docker version >/dev/null 2>&1; then
  # `image build` above imported the image into docker too. Same ulimits as tether passes.
  add "docker run --rm IMAGE true (baseline)" \
    docker run --rm --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$IMAGE" true
  add "tether run --engine docker -- true" "${TETHER[@]}" run --engine docker --image "$IMAGE" -q -- true
else
  echo "docker: no dockerd running, not measured" >&2
fi

# shellcheck source=bench/spares.sh
source "$ROOT/bench/spares.sh"
cd "$WORK"
declare -A times
for i in "${!cmds[@]}"; do settle; eval "${cmds[$i]}" >/dev/null 2>&1 || true; done   # warm-up
for ((r = 0; r < RUNS; r++)); do
  for i in "${!cmds[@]}"; do
    settle
    s=$(date +%s%N); eval "${cmds[$i]}" >/dev/null 2>&1 || true; e=$(date +%s%N)
    times[$i]+="$(( (e - s) / 1000000 )) "
  done
done
settle
spare_cpu="$(spare_cpu)"
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), $("$JAVA" -version 2>&1 | head -1)"
echo "load average at the end: $(cat /proc/loadavg)"
echo "runs per command: $RUNS (median wall ms, warm, interleaved)"
echo "a spare's CPU until it waits (warm-up, at nice 19, after the session that started it): ${spare_cpu:-?} s"
base=$(median "${times[0]}")
for i in "${!cmds[@]}"; do
  m=$(median "${times[$i]}")
  case "${names[$i]}" in
    *"engine podman"*) printf '%-58s %6s  (+%s vs podman)\n' "${names[$i]}" "$m" "$((m - base))" ;;
    "docker run"*) docker_base=$m; printf '%-58s %6s\n' "${names[$i]}" "$m" ;;
    *"engine docker"*) printf '%-58s %6s  (+%s vs docker)\n' "${names[$i]}" "$m" "$((m - ${docker_base:-0}))" ;;
    *) printf '%-58s %6s\n' "${names[$i]}" "$m" ;;
  esac
done
