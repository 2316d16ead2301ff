#!/bin/sh
# The agent-like workload the whole-system benchmark times, run in a fresh project directory
# (its working directory) bare, under tether --monitor-only and under tether enforcing. It writes
# one "phase milliseconds" line per phase to timings.txt. Inputs next to it: zlib source tarball,
# CA bundle, and the lab's addresses in lab.env.
set -eu
. ./lab.env
export LC_ALL=C.UTF-8 LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME="$PWD/.home" TMPDIR="$PWD/.tmp" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME" "$TMPDIR"
git config --global user.name bench; git config --global user.email bench@example.invalid
git config --global init.defaultBranch main; git config --global advice.detachedHead false
: > timings.txt
now() { date +%s%N; }
phase() { # name start
  echo "$1 $(( ($(now) - $2) / 1000000 ))" >> timings.txt
}

# 1. Build a real C project: unpack, configure (dozens of compiler probes), make -j2.
t=$(now)
tar --no-same-owner -xjf zlib.tar.bz2 # as root in a user namespace, the archive's owners do not exist
cd zlib-*/
./configure >/dev/null
make -j2 >/dev/null 2>&1
cd ..
phase build "$t"

# 2. Its tests.
t=$(now)
( cd zlib-*/ && make test >/dev/null 2>&1 )
phase test "$t"

# 3. Many short-lived processes on a generated repository: git, grep, sed, find.
t=$(now)
mkdir repo && cd repo && git init -q
for d in $(seq 1 20); do
  mkdir -p "pkg$d"
  for f in $(seq 1 15); do
    printf 'package pkg%s\n\n// item %s of %s\nfunc F%s() int { return %s }\n// TODO: refactor %s\n' \
      "$d" "$f" "$d" "$f" "$f" "$f" > "pkg$d/file$f.go"
  done
done
git add -A && git commit -qm initial
for i in $(seq 1 40); do
  d=$(( i % 20 + 1 ))
  sed -i "s/return [0-9]*/return $i/" "pkg$d/file$(( i % 15 + 1 )).go"
  git add -A && git commit -qm "change $i"
  git log --oneline | head -n 3 >/dev/null
  git grep -n "TODO" -- "pkg$d" >/dev/null
  git diff HEAD~1 --stat >/dev/null
  grep -rl "item $(( i % 15 + 1 )) of" . >/dev/null
  find . -name "*.go" -newer .git/HEAD | head -n 5 >/dev/null
  git status --short >/dev/null
done
cd ..
phase processes "$t"

# 4. A few thousand file writes (and rewrites).
t=$(now)
mkdir -p writes
for i in $(seq 1 3000); do echo "line $i of the generated output" > "writes/out$i.txt"; done
for i in $(seq 1 3000); do echo "appended" >> "writes/out$i.txt"; done
cat writes/*.txt | wc -l >/dev/null
phase writes "$t"

# 5. HTTP(S) to the lab server: separate processes (a new connection and TLS handshake each)
#    and keep-alive batches, GETs and POSTs.
t=$(now)
for i in $(seq 1 25); do
  curl -sf -o /dev/null "http://$WEB/page$i"
  curl -sf -o /dev/null --cacert cas.pem "https://$WEB/page$i"
  curl -sf -o /dev/null --cacert cas.pem -d "payload $i" "https://$WEB/upload"
done
urls=""; for i in $(seq 1 100); do urls="$urls https://$WEB/batch$i"; done
# shellcheck disable=SC2086
curl -sf -o /dev/null --cacert cas.pem $urls
phase http "$t"

# 6. MCP tool calls to a real MCP server (server-everything, streamable HTTP).
t=$(now)
mcp() { # json -> answer body
  curl -sf -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
    ${SID:+-H "mcp-session-id: $SID"} -d "$1" "http://$MCP/mcp"
}
SID=$(curl -sf -D - -o /dev/null -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' \
  "http://$MCP/mcp" | tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
[ -n "$SID" ] || { echo "no MCP session id" >&2; exit 1; }
mcp '{"jsonrpc":"2.0","method":"notifications/initialized"}' >/dev/null || true
mcp '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' | grep -q '"echo"'
for i in $(seq 1 30); do
  mcp '{"jsonrpc":"2.0","id":'$((i * 2 + 10))',"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello '$i'"}}}' \
    | grep -q "hello $i"
  mcp '{"jsonrpc":"2.0","id":'$((i * 2 + 11))',"method":"tools/call","params":{"name":"get-sum","arguments":{"a":'$i',"b":2}}}' \
    | grep -q "$((i + 2))"
done
phase mcp "$t"
echo workload-ok
