#!/usr/bin/env bash
# Sandbox start-up: `tether run -- true` against `podman run --rm IMAGE true` (docker against
# `docker run --rm IMAGE true` when dockerd runs; the built-in engine against bare bubblewrap),
# in the same invocation, warm (each command runs once before
# timing). tether is measured with and without an AppCDS archive of its classes.
#
#   sudo bench/startup/startup.sh [RUNS]        (default 15 runs per command; prints medians)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUNS="${1:-15}"
JAR="$ROOT/tether-cli/target/tether.jar"
source "$ROOT/scripts/prerequisites.sh"
JAVA="$(tether_find_java)"
[[ -f "$JAR" ]] || (cd "$ROOT" && ./mvnw -B -q package -DskipTests)
WORK="$(mktemp -d /tmp/tether-bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
CDS="$WORK/tether.jsa"
JAVA_OPTS=(--enable-native-access=ALL-UNNAMED)

IMAGE="$("$JAVA" "${JAVA_OPTS[@]}" -jar "$JAR" image build --minimal 2>/dev/null | tail -n1)"
# The AppCDS archive: written at the end of one training run, then mapped by every start.
"$JAVA" "${JAVA_OPTS[@]}" -XX:ArchiveClassesAtExit="$CDS" -jar "$JAR" run --engine podman --image "$IMAGE" -q -- true >/dev/null 2>&1
"$JAVA" "${JAVA_OPTS[@]}" -XX:SharedArchiveFile="$CDS" -jar "$JAR" run --engine builtin -q -- true >/dev/null 2>&1

median_ms() { # command...: runs it RUNS times after one warm-up, prints the median wall time in ms
  "$@" >/dev/null 2>&1 || true
  local t=()
  for ((i = 0; i < RUNS; i++)); do
    local s e
    s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
    t+=($(( (e - s) / 1000000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

cd "$WORK"
podman_base=$(median_ms podman --runtime=runc run --rm --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$IMAGE" true)
bwrap_base=$(median_ms bwrap --unshare-pid --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib64 /lib64 --symlink usr/lib /lib --proc /proc --dev /dev true)
jvm_only=$(median_ms "$JAVA" "${JAVA_OPTS[@]}" -XX:SharedArchiveFile="$CDS" -jar "$JAR" --version)
t_podman=$(median_ms "$JAVA" "${JAVA_OPTS[@]}" -jar "$JAR" run --engine podman --image "$IMAGE" -q -- true)
t_podman_cds=$(median_ms "$JAVA" "${JAVA_OPTS[@]}" -XX:SharedArchiveFile="$CDS" -jar "$JAR" run --engine podman --image "$IMAGE" -q -- true)
if [[ -S /var/run/docker.sock ]] && docker version >/dev/null 2>&1; then
  # `image build` above imported the image into docker too. Same ulimits as tether passes.
  docker_base=$(median_ms docker run --rm --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$IMAGE" true)
  t_docker=$(median_ms "$JAVA" "${JAVA_OPTS[@]}" -XX:SharedArchiveFile="$CDS" -jar "$JAR" run --engine docker --image "$IMAGE" -q -- true)
fi
t_builtin=$(median_ms "$JAVA" "${JAVA_OPTS[@]}" -jar "$JAR" run --engine builtin -q -- true)
t_builtin_cds=$(median_ms "$JAVA" "${JAVA_OPTS[@]}" -XX:SharedArchiveFile="$CDS" -jar "$JAR" run --engine builtin -q -- true)
t_builtin_nonet=$(median_ms "$JAVA" "${JAVA_OPTS[@]}" -XX:SharedArchiveFile="$CDS" -jar "$JAR" run --engine builtin --no-network -q -- true)

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), $("$JAVA" -version 2>&1 | head -1)"
echo "runs per command: $RUNS (median wall ms, warm)"
printf '%-58s %6s\n' "podman run --rm IMAGE true (baseline)" "$podman_base"
printf '%-58s %6s  (+%s vs podman)\n' "tether run --engine podman -- true" "$t_podman" "$((t_podman - podman_base))"
printf '%-58s %6s  (+%s vs podman)\n' "tether run --engine podman -- true, AppCDS" "$t_podman_cds" "$((t_podman_cds - podman_base))"
if [[ -n "${docker_base:-}" ]]; then
  printf '%-58s %6s\n' "docker run --rm IMAGE true (baseline)" "$docker_base"
  printf '%-58s %6s  (+%s vs docker)\n' "tether run --engine docker -- true, AppCDS" "$t_docker" "$((t_docker - docker_base))"
else
  echo "docker: no dockerd running, not measured"
fi
printf '%-58s %6s\n' "bwrap ... true (baseline)" "$bwrap_base"
printf '%-58s %6s\n' "tether run --engine builtin -- true" "$t_builtin"
printf '%-58s %6s\n' "tether run --engine builtin -- true, AppCDS" "$t_builtin_cds"
printf '%-58s %6s\n' "tether run --engine builtin --no-network -- true, AppCDS" "$t_builtin_nonet"
printf '%-58s %6s\n' "java -jar tether.jar --version, AppCDS (JVM floor)" "$jvm_only"
echo "load average: $(cat /proc/loadavg)"
