#!/usr/bin/env bash
# API throughput and latency: GET /api/streams?limit=50 with 10,000 streams
# stored and POST /api/streams, against a bare Poco handler on the same run.
# For GET the bare handler answers the very bytes of streamhost's first page,
# so the ratio is the cost of reading the store and rendering, not of sending.
# Every create is durable (one fsync) before its 201; the bare POST writes
# nothing, so that row shows the price of durability, not a goal.
# Usage: bench/api_bench.sh [build-dir] [seconds]
set -euo pipefail
build=${1:-build-bench}
secs=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
daemon="$build/host/streamhostd"
bare="$build/bench/bare_poco_server"
plugins="$build/plugins"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=18480
bare_port=18481
nstreams=${NSTREAMS:-10000}

key=$("$daemon" --data-dir "$tmp/data" keys create --name bench --scopes admin 2>/dev/null)
"$daemon" --data-dir "$tmp/data" --plugin-dir "$plugins" --listen 127.0.0.1:$port \
  --set limits.api_requests_per_second=0 --set log.level=warning > "$tmp/daemon.log" 2>&1 &
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done

pl=$(curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d '{"name":"bench"}' http://127.0.0.1:$port/api/pipelines | sed 's/.*"id":"\([^"]*\)".*/\1/')
echo "creating $nstreams streams..." >&2
# wrk seeds Lua's random generator the same way every run, so names carry a
# per-run prefix and a per-thread id to stay unique (a repeat would be a 409).
make_post_script() {  # file prefix
  cat > "$1" <<LUA
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
counter = 0
request = function()
  counter = counter + 1
  local body = '{"name":"$2-' .. tid .. '-' .. counter .. '","sourceType":"datagen","pipelineId":"$pl"}'
  return wrk.format("POST", "/api/streams", {["Authorization"]="Bearer $key", ["Content-Type"]="application/json"}, body)
end
LUA
}
round=0
while true; do
  have=$(curl -sf -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/streams/summary" | sed 's/.*"total":\([0-9]*\).*/\1/')
  [ "$have" -ge "$nstreams" ] && break
  round=$((round + 1))
  make_post_script "$tmp/seed.lua" "seed$round"
  wrk -t2 -c8 -d2s -s "$tmp/seed.lua" http://127.0.0.1:$port >/dev/null
done

run() {  # name url [script]
  local out
  if [ -n "${3:-}" ]; then
    out=$(wrk -t2 -c32 -d${secs}s --latency -s "$3" "$2")
  else
    out=$(wrk -t2 -c32 -d${secs}s --latency -H "Authorization: Bearer $key" "$2")
  fi
  local rps p50 p99 non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p50=$(echo "$out" | awk '$1=="50%"{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/{print $NF}')
  printf "| %-34s | %10s | %8s | %8s | %6s |\n" "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

curl -sf -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/streams?limit=50" > "$tmp/page.json"
"$bare" $bare_port "$tmp/page.json" > /dev/null 2>&1 &
for _ in $(seq 100); do curl -sf http://127.0.0.1:$bare_port/ >/dev/null && break; sleep 0.1; done
make_post_script "$tmp/post.lua" post
cat > "$tmp/bare_post.lua" <<LUA
request = function()
  return wrk.format("POST", "/api/streams", {["Content-Type"]="application/json"}, '{"name":"x","sourceType":"datagen","pipelineId":"p"}')
end
LUA

echo
echo "GET page: $(stat -c %s "$tmp/page.json") bytes (the bare handler answers the same bytes)"
echo "streams stored: $(curl -sf -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/streams/summary" | sed 's/.*"total":\([0-9]*\).*/\1/'); wrk -t2 -c32 -d${secs}s"
printf "| %-34s | %10s | %8s | %8s | %6s |\n" "endpoint" "req/s" "p50" "p99" "non2xx"
printf "|%s|%s|%s|%s|%s|\n" "------------------------------------" "------------" "----------" "----------" "--------"
run "bare Poco handler GET" "http://127.0.0.1:$bare_port/api/streams?limit=50"
run "streamhost GET /api/streams?limit=50" "http://127.0.0.1:$port/api/streams?limit=50"
run "bare Poco handler POST" "http://127.0.0.1:$bare_port/api/streams" "$tmp/bare_post.lua"
run "streamhost POST /api/streams" "http://127.0.0.1:$port/api/streams" "$tmp/post.lua"
