#!/usr/bin/env bash
# A new client's latency while N other clients hold idle keep-alive
# connections, against a bare Poco HTTPServer (16 threads) on the same run.
# wrk sends `Connection: close`, so each request is a new connection.
# Also the daemon's RSS idle and while it holds the connections.
# Usage: bench/idle_connections_bench.sh [build-dir] [idle-connections] [seconds]
set -euo pipefail
build=${1:-build-bench}
idle=${2:-2000}
secs=${3:-5}
daemon="$build/host/streamhostd"
bare="$build/bench/bare_poco_server"
holder="$build/bench/hold_connections"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=18494
bare_port=18495
ulimit -n "$(ulimit -Hn)"

"$daemon" --data-dir "$tmp/data" --plugin-dir "$build/plugins" --listen 127.0.0.1:$port \
  --set http.max_connections_per_client=100000 --set http.max_connections=$((idle + 1000)) \
  --set log.level=warning > "$tmp/daemon.log" 2>&1 &
dpid=$!
"$bare" $bare_port > /dev/null 2>&1 &
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done

rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
# wrk's p50, p99 and requests/s for new connections to GET /healthz.
measure() {
  local out
  out=$(wrk -t1 -c4 -d"${secs}s" --timeout 5s --latency -H 'Connection: close' "http://127.0.0.1:$1/healthz" 2>&1 || true)
  local p50 p99 rps errs
  p50=$(echo "$out" | awk '$1 == "50.000%" || $1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99.000%" || $1 == "99%" {print $2}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  errs=$(echo "$out" | awk '/Socket errors/ {print $0}' | sed 's/.*Socket errors: //')
  printf "%s|%s|%s|%s" "${p50:--}" "${p99:--}" "${rps:-0}" "${errs:-none}"
}
hold() {  # port count -> starts the holder in the background, waits until it holds
  mkfifo "$tmp/hold_$1"
  "$holder" 127.0.0.1 "$1" "$2" < "$tmp/hold_$1" > "$tmp/holder_$1.out" &
  exec {fd}> "$tmp/hold_$1"
  eval "hold_fd_$1=$fd"
  for _ in $(seq 600); do grep -q holding "$tmp/holder_$1.out" && break; sleep 0.1; done
}
release() { local v="hold_fd_$1"; eval "exec ${!v}>&-"; sleep 0.5; }

rows=()
rss_idle=$(rss $dpid)
rows+=("streamhost|0|$(measure $port)")
rows+=("bare Poco (16 threads)|0|$(measure $bare_port)")
hold $port "$idle"
held=$(cat "$tmp/holder_$port.out")
rss_held=$(rss $dpid)
rows+=("streamhost|$idle|$(measure $port)")
release $port
hold $bare_port "$idle"
held_bare=$(cat "$tmp/holder_$bare_port.out")
rows+=("bare Poco (16 threads)|$idle|$(measure $bare_port)")
release $bare_port

echo
echo "new-client latency (GET /healthz, Connection: close, wrk -c4 ${secs}s) with idle keep-alive connections held, $(nproc) cores"
echo "streamhost holder: $held; bare Poco holder: $held_bare"
printf "| %-24s | %6s | %9s | %9s | %10s | %s\n" server idle p50 p99 "req/s" "socket errors"
printf "|%s|%s|%s|%s|%s|%s\n" "--------------------------" "--------" "-----------" "-----------" "------------" "------"
for r in "${rows[@]}"; do
  IFS='|' read -r name n p50 p99 rps errs <<< "$r"
  printf "| %-24s | %6s | %9s | %9s | %10s | %s\n" "$name" "$n" "$p50" "$p99" "$rps" "$errs"
done
echo
echo "streamhostd RSS: idle ${rss_idle} MiB, holding $idle connections ${rss_held} MiB"
