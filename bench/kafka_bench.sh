#!/usr/bin/env bash
# Kafka consume throughput: a bare librdkafka group consumer against a kafka
# stream end to end into the durable journal, on one mock cluster (librdkafka's,
# in its own process) holding N messages of SIZE bytes over PARTITIONS
# partitions. Both are timed from their first message to the Nth, so the group
# join (a fixed wait on the mock) is not counted; streamhost's Nth is the Nth
# record durable in the pipeline (a long poll on /events).
# Usage: bench/kafka_bench.sh [build-dir] [runs]
# Env: N (1000000), SIZE (100), PARTITIONS (32: the mock keeps 5 MiB a partition), PORT (18497),
#      COMPRESSION (none|lz4|zstd: journal.compression, default lz4 as the daemon)
set -euo pipefail
build=${1:-build-bench}
runs=${2:-3}
n=${N:-1000000}
size=${SIZE:-100}
partitions=${PARTITIONS:-32}
port=${PORT:-18497}
daemon="$build/host/streamhostd"
tool="$build/bench/kafka_bench_tool"
plugins="$build/plugins"
[ -x "$daemon" ] && [ -x "$tool" ] && [ -f "$plugins/kafka.so" ] || {
  echo "needs $daemon, $tool and $plugins/kafka.so" >&2
  exit 1
}
tmp=$(mktemp -d)
: > "$tmp/bench.yaml"  # not the machine's /etc/streamhost/streamhost.yaml
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

mkfifo "$tmp/mock_in"
"$tool" mock "$partitions" bench < "$tmp/mock_in" > "$tmp/bootstraps" &
pids+=($!)
exec 3> "$tmp/mock_in"
for _ in $(seq 100); do [ -s "$tmp/bootstraps" ] && break; sleep 0.05; done
boot=$(head -1 "$tmp/bootstraps")
echo "producing $n messages of $size B over $partitions partitions..." >&2
"$tool" produce "$boot" bench "$n" "$size" "$partitions"

key=$("$daemon" --config "$tmp/bench.yaml" --data-dir "$tmp/sh" keys create --name bench --scopes admin 2>/dev/null)
"$daemon" --config "$tmp/bench.yaml" --data-dir "$tmp/sh" --plugin-dir "$plugins" --listen 127.0.0.1:$port \
  --set limits.api_requests_per_second=0 --set log.level=warning --set journal.compression="${COMPRESSION:-lz4}" \
  > "${DAEMON_LOG:-$tmp/daemon.log}" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
api() { curl -sf -X "$1" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' ${3:+-d "$3"} \
  "http://127.0.0.1:$port$2"; }
id_of() { sed 's/.*"id":"\([^"]*\)".*/\1/'; }
conn=$(api POST /api/connections "{\"name\":\"mock\",\"type\":\"kafka\",\"config\":{\"bootstrap_servers\":\"$boot\"}}" | id_of)

wait_seq() {  # pipeline seq: long-polls until that record is durable
  until api GET "/api/pipelines/$1/events?after=$(($2 - 1))&limit=1&wait_ms=10000" | grep -q '"seq"'; do :; done
}

printf '%-28s %14s %8s\n' "consumer" "msgs/s" "ratio"
for run in $(seq "$runs"); do
  bare=$("$tool" consume "$boot" bench "$n")
  pl=$(api POST /api/pipelines "{\"name\":\"p$run\"}" | id_of)
  st=$(api POST /api/streams "{\"name\":\"s$run\",\"sourceType\":\"kafka\",\"pipelineId\":\"$pl\",\
\"connectionId\":\"$conn\",\"config\":{\"topics\":[\"bench\"]${STREAM_EXTRA:-}}}" | id_of)
  api POST "/api/streams/$st/start" > /dev/null
  wait_seq "$pl" 1
  t0=$EPOCHREALTIME
  wait_seq "$pl" "$n"
  t1=$EPOCHREALTIME
  api POST "/api/streams/$st/stop" > /dev/null
  sh=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (n - 1) / (b - a) }')
  printf '%-28s %14s %8s\n' "run $run: bare librdkafka" "$bare" "1.00"
  printf '%-28s %14s %8s\n' "run $run: streamhost kafka" "$sh" "$(awk -v a="$sh" -v b="$bare" 'BEGIN { printf "%.2f", a / b }')"
done
