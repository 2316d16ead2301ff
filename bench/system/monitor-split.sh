#!/usr/bin/env bash
# Where a --monitor-only session's overhead comes from. The workload's zlib build (configure +
# make -j2), timed by the build's own shell inside the sandbox, in four variants alternating
# round by round:
#   A  bwrap with the built-in engine's arguments, without tether, in a fresh cgroup
#   C  a --monitor-only session whose JVM is stopped (SIGSTOP) while the build runs: the kernel
#      side alone (tracepoint programs, ring buffer; events past the buffer are dropped)
#   W  a --monitor-only session whose build starts 3 s after the sandbox (JVM start-up over)
#   D  a --monitor-only session whose build starts with the sandbox, as an agent's work does
# Prints per variant the build's wall ms and its processes' user+system CPU ms, then medians.
# Waits outside the sandbox use bash's built-in `read -t` on a FIFO: a `sleep` process per poll
# costs a build several per cent on slow-syscall hosts.
#
#   sudo bench/system/monitor-split.sh [ROUNDS]     (default 3)
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ROUNDS="${1:-3}"
[[ $EUID -eq 0 ]] || { echo "run as root (sandboxes, cgroups)" >&2; exit 1; }
command -v bwrap >/dev/null || { echo "missing: bwrap" >&2; exit 1; }
CACHE=/var/cache/tether-bench
ZLIB_URL=http://deb.debian.org/debian/pool/main/z/zlib/zlib_1.2.13.dfsg.orig.tar.bz2
ZLIB_SHA256=71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1
mkdir -p "$CACHE"
if [[ ! -f "$CACHE/zlib.tar.bz2" ]]; then
  curl -sSf -o "$CACHE/zlib.tar.bz2.part" "$ZLIB_URL" && mv "$CACHE/zlib.tar.bz2.part" "$CACHE/zlib.tar.bz2"
fi
echo "$ZLIB_SHA256  $CACHE/zlib.tar.bz2" | sha256sum -c --quiet
"$ROOT/tether" --version >/dev/null # builds on first use, outside the measurement

WORK="$(mktemp -d /var/tmp/tether-split.XXXXXX)"
CG2="$(findmnt -n -t cgroup2 -o TARGET | head -n1)"
trap 'rm -rf "$WORK"; rmdir "$CG2/tether-split-$$" 2>/dev/null || true' EXIT
cp "$CACHE/zlib.tar.bz2" "$WORK/"
cat > "$WORK/build.sh" <<'EOF'
#!/bin/sh
# Waits for ./go when WAITGO=1, then builds zlib and writes "ms cpu_ms" to result.txt.
set -eu
touch ready
if [ "${WAITGO:-0}" = 1 ]; then while [ ! -e go ]; do sleep 0.2; done; fi
export HOME="$PWD/.home" TMPDIR="$PWD/.tmp"; mkdir -p "$HOME" "$TMPDIR"
rm -rf zlib-*/
t=$(date +%s%N)
( tar --no-same-owner -xjf zlib.tar.bz2 && cd zlib-*/ && ./configure >/dev/null && make -j2 >/dev/null 2>&1 )
w=$(( ($(date +%s%N) - t) / 1000000 ))
# cutime + cstime of this shell: every process of the build, in clock ticks
echo "$w $(awk -v hz="$(getconf CLK_TCK)" '{print int(($16 + $17) * 1000 / hz)}' /proc/$$/stat)" > result.txt
EOF
chmod +x "$WORK/build.sh"
mkfifo "$WORK/nap"
exec 9<>"$WORK/nap"
nap() { read -t "$1" -u 9 || true; }

bare() {
  mkdir -p "$CG2/tether-split-$$"
  ( echo "$BASHPID" > "$CG2/tether-split-$$/cgroup.procs"
    exec bwrap --die-with-parent --unshare-pid --unshare-ipc --unshare-uts --cap-drop ALL \
      --ro-bind /usr /usr --ro-bind /etc /etc --symlink usr/bin /bin --symlink usr/sbin /sbin \
      --symlink usr/lib /lib --symlink usr/lib64 /lib64 --proc /proc --dev /dev --tmpfs /tmp --tmpfs /run \
      --bind "$WORK" "$WORK" --chdir "$WORK" -- ./build.sh ) >/dev/null 2>&1
}
session() { # WAITGO
  (cd "$WORK" && "$ROOT/tether" run --engine builtin --monitor-only -q -e WAITGO="$1" -- ./build.sh) >/dev/null 2>&1
}
run_variant() {
  rm -f "$WORK/ready" "$WORK/go" "$WORK/result.txt"
  case "$1" in
    A) bare ;;
    D) session 0 ;;
    W|C)
      session 1 &
      local s=$!
      until [[ -e "$WORK/ready" ]]; do nap 0.05; done
      nap 3
      local jvm=""
      if [[ $1 == C ]]; then
        jvm="$(pgrep -f -n 'tether.jar run --engine builtin --monitor-only')"
        kill -STOP "$jvm"
      fi
      touch "$WORK/go"
      until [[ -e "$WORK/result.txt" ]]; do nap 0.5; done
      [[ -z "$jvm" ]] || kill -CONT "$jvm"
      wait "$s" ;;
  esac
  cat "$WORK/result.txt"
}

session 0 # warm-up: the launcher's start-up cache
declare -A ms cpu
variants=(A C W D)
for r in $(seq 1 "$ROUNDS"); do
  for v in "${variants[@]}"; do
    read -r w c < <(run_variant "$v")
    echo "round $r/$ROUNDS $v: build $w ms, cpu $c ms" >&2
    ms[$v]+="$w "; cpu[$v]+="$c "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
echo "Machine: $(nproc) cores, kernel $(uname -r); rounds: $ROUNDS"
echo
echo "| variant | build ms (each round) | median | vs A | build CPU ms (each round) |"
echo "| --- | --- | ---: | ---: | --- |"
a="$(echo "${ms[A]}" | median)"
for v in "${variants[@]}"; do
  m="$(echo "${ms[$v]}" | median)"
  printf '| %s | %s | %s | %s | %s |\n' "$v" "${ms[$v]% }" "$m" "$(awk -v m="$m" -v a="$a" 'BEGIN {printf "%+.1f%%", (m / a - 1) * 100}')" "${cpu[$v]% }"
done
