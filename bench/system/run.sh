#!/usr/bin/env bash
# Whole-system benchmark: an agent-like workload (bench/system/workload.sh: build and test a real
# C project from the Debian mirror, git/grep/sed on a generated repository, thousands of file
# writes, HTTP(S) and MCP calls to servers in a lab network namespace) run bare, under
# `tether run --monitor-only` and under `tether run --policy` (enforcing a realistic policy), each
# started cold and with the warm start (TETHER_SPARE=1), in alternating order, in one invocation.
# Prints a Markdown table of medians and ratios.
#
#   sudo bench/system/run.sh [ROUNDS]        (default 5; each round runs all five modes)
#
# Results and logs stay in $WORK (printed at the end). See bench/system/README.md.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ROUNDS="${1:-5}"
[[ $EUID -eq 0 ]] || { echo "run as root (sandboxes, network namespaces)" >&2; exit 1; }
source "$ROOT/scripts/prerequisites.sh"
JAVA="$(tether_find_java)"
for c in gcc make git curl node npm openssl keytool bzip2; do
  command -v "$c" >/dev/null || [[ "$c" == keytool && -x "$(dirname "$JAVA")/keytool" ]] \
    || { echo "missing: $c" >&2; exit 1; }
done
KEYTOOL="$(dirname "$JAVA")/keytool"

CACHE=/var/cache/tether-bench
WORK="${WORK:-/var/tmp/tether-system-bench}"
ZLIB_URL=http://deb.debian.org/debian/pool/main/z/zlib/zlib_1.2.13.dfsg.orig.tar.bz2
ZLIB_SHA256=71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1
MCP_PACKAGE=@modelcontextprotocol/server-everything@2026.8.31
WEB=10.252.0.1 MCP=10.252.1.1
NS_WEB=tether-res-web NS_MCP=tether-res-mcp

"$ROOT/tether" --version >/dev/null # builds tether on first use, outside any measurement
rm -rf "$WORK"; mkdir -p "$WORK/results" "$CACHE"
# A copy: a build in the same tree during the run must not swap the jar under the measurement.
JAR="$WORK/tether.jar"
cp "$ROOT/tether-cli/target/tether.jar" "$JAR"

# --- inputs: the C project (checked against the Debian source package's checksum) and the MCP server
if [[ ! -f "$CACHE/zlib.tar.bz2" ]]; then
  curl -sSf -o "$CACHE/zlib.tar.bz2.part" "$ZLIB_URL" && mv "$CACHE/zlib.tar.bz2.part" "$CACHE/zlib.tar.bz2"
fi
echo "$ZLIB_SHA256  $CACHE/zlib.tar.bz2" | sha256sum -c --quiet
MCP_MAIN="$CACHE/mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
[[ -f "$MCP_MAIN" ]] || npm install --silent --no-audit --no-fund --prefix "$CACHE/mcp" "$MCP_PACKAGE" >/dev/null

# --- the lab: two namespaces reached through the host's routing, as the internet would be
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -f "$WORK/spare.sock" # the last warm session's spare retires within seconds
  ip link del tresweb 2>/dev/null || true; ip link del tresmcp 2>/dev/null || true
  ip netns del "$NS_WEB" 2>/dev/null || true; ip netns del "$NS_MCP" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
lab_ns() { # name hostif prefix(10.252.N)
  ip netns add "$1"
  ip link add "$2" type veth peer name eth0 netns "$1"
  ip addr add "$3.254/24" dev "$2"; ip link set "$2" up
  ip -n "$1" link set lo up; ip -n "$1" addr add "$3.1/24" dev eth0; ip -n "$1" link set eth0 up
  ip -n "$1" route add default via "$3.254"
}
lab_ns "$NS_WEB" tresweb 10.252.0
lab_ns "$NS_MCP" tresmcp 10.252.1

# A CA and a leaf for the web server's address; tether's proxy trusts the CA through the JDK's
# trust store property (the sandbox trusts it through cas.pem).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=tether bench lab CA" \
  -keyout "$WORK/lab-ca.key" -out "$WORK/lab-ca.pem" -addext basicConstraints=critical,CA:true 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$WEB" \
  -keyout "$WORK/web.key" -out "$WORK/web.csr" 2>/dev/null
printf 'subjectAltName=IP:%s\nbasicConstraints=CA:false\nextendedKeyUsage=serverAuth\n' "$WEB" > "$WORK/web.ext"
openssl x509 -req -in "$WORK/web.csr" -CA "$WORK/lab-ca.pem" -CAkey "$WORK/lab-ca.key" -CAcreateserial -days 2 \
  -extfile "$WORK/web.ext" -out "$WORK/web.pem" 2>/dev/null
"$KEYTOOL" -importcert -noprompt -alias lab -file "$WORK/lab-ca.pem" -keystore "$WORK/lab-trust.p12" \
  -storetype PKCS12 -storepass changeit >/dev/null
export JDK_JAVA_OPTIONS="${JDK_JAVA_OPTIONS:+$JDK_JAVA_OPTIONS }-Djavax.net.ssl.trustStore=$WORK/lab-trust.p12 -Djavax.net.ssl.trustStorePassword=changeit -Djavax.net.ssl.trustStoreType=PKCS12"

ip netns exec "$NS_WEB" node "$HERE/lab-server.mjs" "$WEB" "$WORK/web.pem" "$WORK/web.key" > "$WORK/web.log" 2>&1 &
pids+=($!)
ip netns exec "$NS_MCP" env PORT=80 node "$MCP_MAIN" streamableHttp > "$WORK/mcp.log" 2>&1 &
pids+=($!)
for i in $(seq 1 150); do # until both answer HTTP (any status)
  curl -s -o /dev/null "http://$WEB/" && curl -s -o /dev/null "http://$MCP/mcp" && break
  sleep 0.2
done
curl -sf -o /dev/null "http://$WEB/" || { echo "lab web server did not start: $(cat "$WORK/web.log")" >&2; exit 1; }
curl -s -o /dev/null "http://$MCP/mcp" || { echo "lab MCP server did not start: $(cat "$WORK/mcp.log")" >&2; exit 1; }

export TETHER_AUDIT_DB="$WORK/audit.db"
tether() { # the launcher with the copied jar: same JVM options and start-up cache as a user gets
  TETHER_JAR="$JAR" "$ROOT/tether" "$@"
}
# First run: creates tether's CA (the sandbox must trust it for the proxy's HTTPS) and trains the start-up cache.
mkdir -p "$WORK/first"
(cd "$WORK/first" && tether run --engine builtin --monitor-only -q -- true) >"$WORK/first.log" 2>&1 \
  || { echo "tether's first run failed:" >&2; cat "$WORK/first.log" >&2; exit 1; }
TETHER_CA="${XDG_DATA_HOME:-$HOME/.local/share}/tether/ca/ca.crt"
[[ -f "$TETHER_CA" ]] || { echo "tether's CA was not created at $TETHER_CA" >&2; exit 1; }
cat "$WORK/lab-ca.pem" "$TETHER_CA" > "$WORK/cas.pem"

# A realistic policy: the system and the project readable, the project and /tmp writable, secrets
# forbidden, execs from the system's program directories and the project, git push forbidden, the
# lab's networks, two MCP tools.
cat > "$WORK/policy.cedar" <<'POLICY'
permit (principal, action == Action::"FileOpenReadOnly", resource)
when { resource in [Dir::"/usr/", Dir::"/etc/", Dir::"/opt/", Dir::"/dev/", Dir::"/proc/", Dir::"/sys/", Dir::"/tmp/", Dir::"/workspace/"] };
permit (principal, action == Action::"FileOpenReadWrite", resource)
when { resource in [Dir::"/workspace/", Dir::"/tmp/", Dir::"/dev/"] };
@id("no-secrets")
forbid (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource)
when { resource in [Dir::"/workspace/.secrets/", Dir::"/root/.ssh/"] };
@id("no-shadow")
forbid (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource == File::"/etc/shadow");
permit (principal, action == Action::"ProcessExec", resource)
when { resource in [Dir::"/usr/bin/", Dir::"/bin/", Dir::"/usr/sbin/", Dir::"/usr/lib/gcc/", Dir::"/usr/lib/git-core/", Dir::"/usr/libexec/", Dir::"/workspace/"] };
@id("no-push")
forbid (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git")
when { context.argv.contains("push") };
@id("lab")
permit (principal, action == Action::"NetworkConnect", resource in Net::"10.252.0.0/16");
@id("mcp-tools")
permit (principal, action == Action::"McpCall", resource == MCP::Tool::"echo");
@id("mcp-sum")
permit (principal, action == Action::"McpCall", resource == MCP::Tool::"get-sum");
@id("mcp-no-env")
forbid (principal, action == Action::"McpCall", resource == MCP::Tool::"get-env");
POLICY

# Warm start (TETHER_SPARE=1, docs/sandbox.md): the two *-warm modes hand their session to the spare
# tether the previous warm run left. A spare serves only its own working directory (the same
# directory, not a new one of the same name), so they share one project directory that is emptied,
# not removed, between runs. Every run first waits until no spare is still warming up (settle), so
# no mode pays for a spare's warm-up; that CPU is reported separately below.
SPARE_SOCKET="$WORK/spare.sock"
WARM_PROJECT="$WORK/p-warm"
# shellcheck source=bench/spares.sh
source "$ROOT/bench/spares.sh"
warm() { TETHER_SPARE=1 TETHER_SPARE_SOCKET="$SPARE_SOCKET" tether "$@"; }

run_mode() { # mode round -> appends "total wall" to results, copies timings
  local mode="$1" round="$2" p="$WORK/p-$1-$2"
  case "$mode" in
    *-warm) p="$WARM_PROJECT"; mkdir -p "$p"; find "$p" -mindepth 1 -delete ;;
    *) rm -rf "$p"; mkdir -p "$p" ;;
  esac
  settle
  cp "$HERE/workload.sh" "$CACHE/zlib.tar.bz2" "$WORK/cas.pem" "$p/"
  printf 'WEB=%s\nMCP=%s\n' "$WEB" "$MCP" > "$p/lab.env"
  local s e rc=0
  s=$(date +%s%N)
  case "$mode" in
    bare) (cd "$p" && sh ./workload.sh) > "$p/out.log" 2> "$p/err.log" || rc=$? ;;
    monitor) (cd "$p" && tether run --engine builtin --monitor-only -q -- sh ./workload.sh) > "$p/out.log" 2> "$p/err.log" || rc=$? ;;
    enforce) (cd "$p" && tether run --engine builtin --policy "$WORK/policy.cedar" -q -- sh ./workload.sh) \
               > "$p/out.log" 2> "$p/err.log" || rc=$? ;;
    monitor-warm) (cd "$p" && warm run --engine builtin --monitor-only -q -- sh ./workload.sh) > "$p/out.log" 2> "$p/err.log" || rc=$? ;;
    enforce-warm) (cd "$p" && warm run --engine builtin --policy "$WORK/policy.cedar" -q -- sh ./workload.sh) \
               > "$p/out.log" 2> "$p/err.log" || rc=$? ;;
  esac
  e=$(date +%s%N)
  if [[ $rc -ne 0 ]] || ! grep -q workload-ok "$p/out.log"; then
    echo "the $mode run of round $round failed (exit $rc); logs in $p" >&2
    tail -n 20 "$p/err.log" >&2
    exit 1
  fi
  { cat "$p/timings.txt"; echo "wall $(( (e - s) / 1000000 ))"; } > "$WORK/results/$mode-$round.txt"
  cp "$p/err.log" "$WORK/results/$mode-$round.err"
  case "$mode" in *-warm) find "$p" -mindepth 1 -delete ;; *) rm -rf "$p" ;; esac
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "warm-up (not timed): one run of each mode" >&2
modes=(bare monitor enforce monitor-warm enforce-warm)
for m in "${modes[@]}"; do run_mode "$m" 0; done
settle
spare_cpu="$(spare_cpu)"
for round in $(seq 1 "$ROUNDS"); do
  # Rotate the order so no mode always runs right after the same other one.
  for k in "${!modes[@]}"; do
    m="${modes[$(( (round + k) % ${#modes[@]} ))]}"
    echo "round $round/$ROUNDS: $m" >&2
    run_mode "$m" "$round"
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }
range() { sort -n | awk 'NR==1{lo=$1} {hi=$1} END {print lo "–" hi}'; }
values() { # mode phase
  for r in $(seq 1 "$ROUNDS"); do awk -v p="$2" '$1==p {print $2}' "$WORK/results/$1-$r.txt"; done
}
total() { for r in $(seq 1 "$ROUNDS"); do awk '$1!="wall" {s+=$2} END {print s}' "$WORK/results/$1-$r.txt"; done; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.1f%%", (a / b - 1) * 100}'; }

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), $("$JAVA" -version 2>&1 | grep -v "^NOTE: Picked up" | head -1)"
echo "Load average before: $load_before; after: $load_after. Rounds: $ROUNDS (+1 warm-up), order rotated each round."
echo
echo "A spare's CPU until it waits (warm-up at nice 19, after each warm session, outside every timed run): ${spare_cpu:-?} s."
echo
echo "| phase (ms, median of $ROUNDS) | bare | tether --monitor-only | overhead | tether enforcing | overhead | monitor-only, warm start | overhead | enforcing, warm start | overhead |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
row() { # label, then values per mode via a function name
  local label="$1" fn="$2" arg="${3:-}"
  local b m e mw ew
  b=$($fn bare $arg | median); m=$($fn monitor $arg | median); e=$($fn enforce $arg | median)
  mw=$($fn monitor-warm $arg | median); ew=$($fn enforce-warm $arg | median)
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$b" "$m" "$(pct "$m" "$b")" "$e" "$(pct "$e" "$b")" \
    "$mw" "$(pct "$mw" "$b")" "$ew" "$(pct "$ew" "$b")"
}
ranges() { # label, then the range of each mode
  local label="$1" fn="$2" arg="${3:-}" m out="| $1 |"
  for m in "${modes[@]}"; do out+=" $($fn "$m" $arg | range) |"; done
  echo "$out"
}
for ph in build test processes writes http mcp; do row "$ph" values "$ph"; done
row "**workload (sum of phases)**" total
row "wall clock incl. tether start and stop" values wall
echo
echo "| ranges (ms) | bare | monitor-only | enforcing | monitor-only, warm | enforcing, warm |"
echo "| --- | --- | --- | --- | --- | --- |"
ranges "**workload**" total
ranges "wall clock" values wall
echo
echo "Per-run timings, tether's stderr (session summaries) and the audit database: $WORK"
