#!/usr/bin/env bash
# streamhostd's resident memory: idle, with N datagen streams created, with
# them running (RATE records/s each into one pipeline), after they stop, and
# while M idle keep-alive connections are held. RSS is read from /proc after
# each state has settled for a few seconds.
# Usage: bench/memory_bench.sh [build-dir] [streams] [connections]
# Env: RATE (10 records/s per stream), PORT (18499)
set -euo pipefail
build=${1:-build-bench}
nstreams=${2:-1000}
nconns=${3:-2000}
rate=${RATE:-10}
port=${PORT:-18499}
daemon="$build/host/streamhostd"
holder="$build/bench/hold_connections"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
ulimit -n "$(ulimit -Hn)"

key=$("$daemon" --data-dir "$tmp/data" keys create --name bench --scopes admin 2>/dev/null)
"$daemon" --data-dir "$tmp/data" --plugin-dir "$build/plugins" --listen 127.0.0.1:$port \
  --set limits.api_requests_per_second=0 --set http.max_connections_per_client=100000 \
  --set http.max_connections=$((nconns + 1000)) --set log.level=warning > "$tmp/daemon.log" 2>&1 &
dpid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done

rss() { sleep "${1:-3}"; awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$dpid/status"; }
threads() { awk '/Threads/ {print $2}' "/proc/$dpid/status"; }
api() {  # method path [body]; prints the body
  curl -sf -X "$1" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' ${3:+-d "$3"} \
    "http://127.0.0.1:$port$2"
}
id_of() { sed 's/.*"id":"\([^"]*\)".*/\1/'; }
# Runs one API action on every stream, 8 requests at a time.
each_stream() {  # action
  xargs -P 8 -I{} curl -sf -o /dev/null -X POST -H "Authorization: Bearer $key" \
    "http://127.0.0.1:$port/api/streams/{}/$1" < "$tmp/streams"
}

rows=()
rows+=("idle|$(rss 1)|$(threads)")
pl=$(api POST /api/pipelines '{"name":"mem"}' | id_of)
echo "creating $nstreams datagen streams..." >&2
seq "$nstreams" | xargs -P 8 -I{} curl -sf -X POST -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' -d "{\"name\":\"mem{}\",\"sourceType\":\"datagen\",\"pipelineId\":\"$pl\",\
\"config\":{\"rate_per_second\":$rate,\"payload_bytes\":100}}" "http://127.0.0.1:$port/api/streams" |
  grep -o '"id":"[^"]*"' | sed 's/"id":"\([^"]*\)"/\1/' > "$tmp/streams"
rows+=("$(wc -l < "$tmp/streams") streams created|$(rss)|$(threads)")
echo "starting them..." >&2
each_stream start
rows+=("$nstreams streams running, $((nstreams * rate)) records/s|$(rss 10)|$(threads)")
each_stream stop
rows+=("after they stop|$(rss)|$(threads)")
if [ -x "$holder" ]; then
  mkfifo "$tmp/hold"
  "$holder" 127.0.0.1 $port "$nconns" < "$tmp/hold" > "$tmp/holder.out" &
  exec {fd}> "$tmp/hold"
  for _ in $(seq 600); do grep -q holding "$tmp/holder.out" && break; sleep 0.1; done
  rows+=("$nconns idle keep-alive connections|$(rss)|$(threads)")
  exec {fd}>&-
fi

echo
echo "streamhostd resident memory, $(nproc) cores"
printf "| %-44s | %9s | %7s |\n" state "RSS MiB" threads
printf "|%s|%s|%s|\n" "----------------------------------------------" "-----------" "---------"
for r in "${rows[@]}"; do
  IFS='|' read -r name mib n <<< "$r"
  printf "| %-44s | %9s | %7s |\n" "$name" "$mib" "$n"
done
