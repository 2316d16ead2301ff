# Shared by the benchmarks that measure the warm start (TETHER_SPARE=1, docs/sandbox.md): sourced
# after JAR (the tether.jar whose spares spare_cpu reports) is set.

# The spare tethers of that jar that are running (pids).
spares() { pgrep -f -- "-jar $JAR __spare\$" || true; }

# CPU ticks used so far by every spare tether running (any jar, any socket).
all_spares_ticks() {
  local p t=0
  for p in $(pgrep -f -- " __spare\$" || true); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

# A spare warms up (at nice 19) after the session that started it; no timed run should pay for it.
# Waits until no spare of any build has used CPU for 0.3 s (its warm-up and the JIT compiling after
# it are done; at most 60 s), then 0.5 s more. (Waiting for the socket alone let a run overlap
# the spare's last compilations, and missed the spares of a second build measured beside.)
settle() {
  local n before after
  after="$(all_spares_ticks)"
  for ((n = 0; n < 200; n++)); do
    before="$after"
    sleep 0.3
    after="$(all_spares_ticks)"
    [[ "$before" == "$after" ]] && break
  done
  sleep 0.5
}

# CPU seconds (user + system) the newest running spare has used: after settle, its warm-up.
spare_cpu() {
  local p
  for p in $(spares); do awk '{printf "%.2f\n", ($14 + $15) / 100}' "/proc/$p/stat"; done | tail -1
}
