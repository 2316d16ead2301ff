# Sourced by ./tether and ./run-tests: finds a JDK 25 and installs missing Debian/Ubuntu packages.
# Each requirement is "package|check" where check is cmd:NAME, file:PATH or lib:SONAME.

TETHER_REQ_BUILD=(
  "clang|cmd:clang"
  "make|cmd:make"
  "bpftool|cmd:bpftool"
  "libbpf-dev|file:/usr/include/bpf/bpf_helpers.h"
  "gcc|cmd:gcc"
  "libc6-dev|file:/usr/include/stdlib.h"
)
TETHER_REQ_RUNTIME=(
  "libbpf1|lib:libbpf.so.1"
  "bubblewrap|cmd:bwrap"
  "iproute2|cmd:ip"
  "nftables|cmd:nft"
  "podman|cmd:podman"
  "runc|cmd:runc"
  "netavark|file:/usr/lib/podman/netavark"
  "aardvark-dns|file:/usr/lib/podman/aardvark-dns"
  "iptables|cmd:iptables"
  "slirp4netns|cmd:slirp4netns"
  "fuse-overlayfs|cmd:fuse-overlayfs"
  "uidmap|cmd:newuidmap"
  "mmdebstrap|cmd:mmdebstrap"
)
TETHER_REQ_TEST=(
  "chromium|cmd:chromium"
  "chromium-driver|cmd:chromedriver"
  "curl|cmd:curl"
  "nodejs|cmd:node"
  "npm|cmd:npm"
  "docker.io|cmd:dockerd"
)

# tether_find_java: prints the java binary of a JDK 25 or newer and sets TETHER_JAVA to it (the
# launcher reads the variable: a $(...) costs a fork, ~3 ms on slow-syscall hosts, on every start).
tether_find_java() {
  TETHER_JAVA=""
  local candidates=()
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME/bin/java")
  local d
  for d in /usr/lib/jvm/*25*; do [[ -x "$d/bin/java" ]] && candidates+=("$d/bin/java"); done
  local j v line
  for j in "${candidates[@]}"; do
    [[ -x "$j" ]] || continue
    # The JDK's `release` file names its version without starting a JVM (~50 ms a launch); read
    # with bash alone. A JDK without one is asked.
    v=""
    if [[ -r "${j%/bin/java}/release" ]]; then
      while IFS= read -r line; do
        if [[ "$line" =~ ^JAVA_VERSION=\"([0-9][0-9.]*) ]]; then v="${BASH_REMATCH[1]}"; break; fi
      done < "${j%/bin/java}/release"
    fi
    [[ -n "$v" ]] || v="$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    if [[ "${v%%.*}" =~ ^[0-9]+$ ]] && (( ${v%%.*} >= 25 )); then
      TETHER_JAVA="$j"
      echo "$j"
      return 0
    fi
  done
  return 1
}

_tether_present() {
  local check="$1" kind="${1%%:*}" what="${1#*:}" d
  case "$kind" in
    cmd) command -v "$what" >/dev/null 2>&1 || [[ -x "/usr/sbin/$what" || -x "/sbin/$what" ]] ;;
    file) [[ -e "$what" ]] ;;
    lib)
      # The usual library directories first, this machine's multiarch one (bash's HOSTTYPE, e.g.
      # x86_64) and no other (no process); then the loader's cache, as the loader would search it. Not grep -q there: it exits at the first match, ldconfig dies of
      # SIGPIPE, and under the launcher's pipefail the library then looked missing now and then.
      for d in "/usr/lib/$HOSTTYPE-linux-gnu" "/lib/$HOSTTYPE-linux-gnu" /usr/lib64 /lib64 /usr/lib /lib; do
        [[ -e "$d/$what" ]] && return 0
      done
      ldconfig -p 2>/dev/null | grep -F "$what" >/dev/null ;;
    *) return 1 ;;
  esac
}

# tether_missing GROUP... : sets TETHER_MISSING to the missing packages of the given groups (each
# once, in the groups' order) and prints them, one per line.
tether_missing() {
  TETHER_MISSING=()
  local group entry pkg seen=" "
  for group in "$@"; do
    local -n reqs="TETHER_REQ_${group^^}"
    for entry in "${reqs[@]}"; do
      pkg="${entry%%|*}"
      if [[ "$seen" != *" $pkg "* ]] && ! _tether_present "${entry#*|}"; then
        TETHER_MISSING+=("$pkg")
        seen+="$pkg "
      fi
    done
  done
  if (( ${#TETHER_MISSING[@]} > 0 )); then printf '%s\n' "${TETHER_MISSING[@]}"; fi
}

# tether_ensure_packages ASSUME_YES GROUP... : installs what is missing or explains how to.
tether_ensure_packages() {
  local assume_yes="$1"; shift
  local missing
  tether_missing "$@" >/dev/null # sets TETHER_MISSING without a subshell (every start runs this)
  [[ ${#TETHER_MISSING[@]} -eq 0 ]] && return 0
  missing="${TETHER_MISSING[*]}"
  echo "tether: missing system packages: $missing" >&2
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "tether: this host has no apt-get; install the equivalents of: $missing" >&2
    return 1
  fi
  if [[ $EUID -ne 0 ]]; then
    echo "tether: installing them needs root: sudo apt-get install -y $missing" >&2
    echo "        (or run this command with sudo and --yes)" >&2
    return 1
  fi
  if [[ "$assume_yes" != 1 ]]; then
    if [[ -t 0 && -t 2 ]]; then
      local answer
      read -r -p "tether: install them now with apt-get? [y/N] " answer
      [[ "$answer" =~ ^[Yy] ]] || { echo "tether: not installed; cannot continue without them." >&2; return 1; }
    else
      echo "tether: pass --yes to install them (apt-get install -y $missing)" >&2
      return 1
    fi
  fi
  echo "tether: apt-get update..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
  echo "tether: apt-get install $missing" >&2
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2 || return 1
  tether_configure_podman
  tether_start_dockerd
  local still
  still="$(tether_missing "$@" | tr '\n' ' ')"
  if [[ -n "${still// /}" ]]; then
    echo "tether: still missing after install: $still" >&2
    return 1
  fi
}

# Podman on these hosts needs runc (crun fails on hybrid cgroups) and ulimits within the hard
# limits (see docs/platform.md). Written once, only when the file has no such settings yet.
tether_configure_podman() {
  command -v podman >/dev/null 2>&1 || return 0
  local conf=/etc/containers/containers.conf
  if [[ ! -f "$conf" ]] || ! grep -q '^runtime *= *"runc"' "$conf"; then
    mkdir -p /etc/containers
    {
      echo "# written by tether: runc works on hybrid cgroup hosts; limits within the hard limits"
      echo "[containers]"
      echo "default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]"
      echo "[engine]"
      echo "runtime = \"runc\""
      echo "cgroup_manager = \"cgroupfs\""
      echo "events_logger = \"file\""
    } >> "$conf"
  fi
}

# The docker engine's tests need a running dockerd. Hosts without systemd (CI, these VMs) do not
# start it on install: start it in the background with a log file and wait for its socket. Once
# started, dockerd puts its chains into iptables' FORWARD (policy DROP if it had to turn on IP
# forwarding itself); tether lets its sandboxes through DOCKER-USER (docs/sandbox.md).
tether_start_dockerd() {
  command -v dockerd >/dev/null 2>&1 || [[ -x /usr/sbin/dockerd ]] || return 0
  [[ $EUID -eq 0 ]] || return 0
  if [[ -S /var/run/docker.sock ]] && docker version >/dev/null 2>&1; then
    return 0
  fi
  local log=/var/log/tether-dockerd.log
  echo "tether: starting dockerd in the background (log: $log)..." >&2
  nohup dockerd >"$log" 2>&1 </dev/null &
  local i
  for i in $(seq 1 60); do
    if [[ -S /var/run/docker.sock ]] && docker version >/dev/null 2>&1; then
      echo "tether: dockerd is up ($((i / 2)) s)" >&2
      return 0
    fi
    sleep 0.5
  done
  echo "tether: dockerd did not answer within 30 s; see $log (docker tests will be skipped)" >&2
  tail -5 "$log" >&2 || true
  return 0
}
