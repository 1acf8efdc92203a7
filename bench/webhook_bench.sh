#!/usr/bin/env bash
# Webhook ingest throughput and latency: POST /ingest/{id} with a signed body
# (github scheme, one fixed valid signature, no dedup), each answered 202 only
# once fsync'd, against a bare Poco handler on the same run.
# Usage: bench/webhook_bench.sh [build-dir] [seconds] [connections]
# Env: DAEMON_SET (further --set KEY=VALUE for streamhostd, space-separated,
#      e.g. "journal.group_commit_delay_ms=0")
set -euo pipefail
build=${1:-build-bench}
secs=${2:-10}
conns=${3:-32}
daemon="$build/host/streamhostd"
bare="$build/bench/bare_poco_server"
plugins="$build/plugins"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=18490
bare_port=18491

key=$("$daemon" --data-dir "$tmp/data" keys create --name bench --scopes admin 2>/dev/null)
"$daemon" --data-dir "$tmp/data" --plugin-dir "$plugins" --listen 127.0.0.1:$port \
  --set limits.api_requests_per_second=0 --set limits.ingest_requests_per_second=0 --set log.level=warning \
  $(for kv in ${DAEMON_SET:-}; do printf -- '--set %s ' "$kv"; done) > "$tmp/daemon.log" 2>&1 &
"$bare" $bare_port > /dev/null 2>&1 &
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done

auth=(-H "Authorization: Bearer $key" -H 'Content-Type: application/json')
pl=$(curl -sf "${auth[@]}" -d '{"name":"bench"}' http://127.0.0.1:$port/api/pipelines | sed 's/.*"id":"\([^"]*\)".*/\1/')
sid=$(curl -sf "${auth[@]}" -d "{\"name\":\"hook\",\"sourceType\":\"webhook\",\"pipelineId\":\"$pl\",\
\"config\":{\"auth\":{\"scheme\":\"github\",\"secrets\":[\"bench-secret\"]},\"max_in_flight\":1024}}" \
  http://127.0.0.1:$port/api/streams | sed 's/.*"id":"\([^"]*\)".*/\1/')
curl -sf "${auth[@]}" -X POST http://127.0.0.1:$port/api/streams/$sid/start > /dev/null

body='{"action":"opened","issue":{"number":1347,"title":"Found a bug"},"repository":{"full_name":"octo/hello"}}'
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac bench-secret | awk '{print $NF}')
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -H "X-Hub-Signature-256: sha256=$sig" --data-binary "$body" http://127.0.0.1:$port/ingest/$sid)
[ "$code" = 202 ] || { echo "signed probe answered $code" >&2; cat "$tmp/daemon.log" >&2; exit 1; }

cat > "$tmp/ingest.lua" <<LUA
request = function()
  return wrk.format("POST", "/ingest/$sid", {["Content-Type"]="application/json", ["X-Hub-Signature-256"]="sha256=$sig"}, '$body')
end
LUA
cat > "$tmp/bare.lua" <<LUA
request = function()
  return wrk.format("POST", "/ingest/x", {["Content-Type"]="application/json", ["X-Hub-Signature-256"]="sha256=$sig"}, '$body')
end
LUA

run() {  # name url script
  local out rps p50 p99 non2xx
  out=$(wrk -t2 -c$conns -d${secs}s --latency -s "$3" "$2")
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p50=$(echo "$out" | awk '$1=="50%"{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/{print $NF}')
  printf "| %-34s | %10s | %8s | %8s | %6s |\n" "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo
echo "body ${#body} bytes; wrk -t2 -c$conns -d${secs}s"
printf "| %-34s | %10s | %8s | %8s | %6s |\n" "endpoint" "req/s" "p50" "p99" "non2xx"
printf "|%s|%s|%s|%s|%s|\n" "------------------------------------" "------------" "----------" "----------" "--------"
run "bare Poco handler POST" "http://127.0.0.1:$bare_port/ingest/x" "$tmp/bare.lua"
run "streamhost POST /ingest/{id}" "http://127.0.0.1:$port/ingest/$sid" "$tmp/ingest.lua"
head=$(curl -sf -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/pipelines/$pl/events?after=0&limit=1" |
  sed 's/.*"head_seq":\([0-9]*\).*/\1/')
echo "records stored: $head"
