# Shared by the benchmarks that measure the warm start (TETHER_SPARE=1, docs/sandbox.md): sourced
# after JAR (the tether.jar the spares run) and SPARE_SOCKET are set.

# The spare tethers of that jar that are running (pids).
spares() { pgrep -f -- "-jar $JAR __spare\$" || true; }

# A spare warms up (at nice 19) after the session that started it; no timed run should pay for it.
# Waits until none is warming up (one listens, or none runs; at most 60 s), then 0.5 s more.
settle() {
  local n
  for ((n = 0; n < 600; n++)); do
    [[ -z "$(spares)" || -S "$SPARE_SOCKET" ]] && break
    sleep 0.1
  done
  sleep 0.5
}

# CPU seconds (user + system) the newest running spare has used: after settle, its warm-up.
spare_cpu() {
  local p
  for p in $(spares); do awk '{printf "%.2f\n", ($14 + $15) / 100}' "/proc/$p/stat"; done | tail -1
}
