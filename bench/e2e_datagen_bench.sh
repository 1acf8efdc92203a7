#!/usr/bin/env bash
# End-to-end ingest: one datagen stream at full speed (rate 0, 100 B payload)
# through the worker into the pipeline journal, sampled via head_seq.
# MB/s counts record bytes (key + value + offset), as journal_bench does.
# Usage: bench/e2e_datagen_bench.sh [build-dir] [max-seconds]
# Env: RECORDS (default 2000000), PAYLOAD (100), PORT (18482), INTERVAL (0.5),
#      COMPRESSION (none|lz4|zstd: journal.compression, default none).
set -euo pipefail
build=${1:-build-bench}
max_secs=${2:-20}
records=${RECORDS:-2000000}
payload=${PAYLOAD:-100}
port=${PORT:-18482}
interval=${INTERVAL:-0.5}
daemon="$build/host/streamhostd"
plugins="$build/plugins"
tmp=$(mktemp -d)
: > "$tmp/bench.yaml"  # not the machine's /etc/streamhost/streamhost.yaml
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT

key=$("$daemon" --config "$tmp/bench.yaml" --data-dir "$tmp/data" keys create --name bench --scopes admin 2>/dev/null)
"$daemon" --config "$tmp/bench.yaml" --data-dir "$tmp/data" --plugin-dir "$plugins" --listen 127.0.0.1:$port \
  --set limits.api_requests_per_second=0 --set log.level=warning \
  --set journal.compression="${COMPRESSION:-none}" > "$tmp/daemon.log" 2>&1 &
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done

api() {  # method path [body]
  curl -sf -X "$1" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "http://127.0.0.1:$port$2"
}
id_of() { sed 's/.*"id":"\([^"]*\)".*/\1/'; }

pl=$(api POST /api/pipelines '{"name":"e2e"}' | id_of)
st=$(api POST /api/streams "{\"name\":\"e2e\",\"sourceType\":\"datagen\",\"pipelineId\":\"$pl\",\
\"config\":{\"rate_per_second\":0,\"payload_bytes\":$payload,\"max_records\":$records}}" | id_of)
head_seq() { api GET "/api/pipelines/$pl" | sed -n 's/.*"head_seq":\([0-9]*\).*/\1/p'; }
now() { date +%s.%N; }

api POST "/api/streams/$st/start" >/dev/null
t0=$(now)
samples="$tmp/samples"
: > "$samples"
while true; do
  h=$(head_seq)
  t=$(now)
  echo "$t ${h:-0}" >> "$samples"
  done_now=$(awk -v t="$t" -v t0="$t0" -v h="${h:-0}" -v n="$records" -v m="$max_secs" \
    'BEGIN { print (h >= n || t - t0 >= m) ? 1 : 0 }')
  [ "$done_now" = 1 ] && break
  sleep "$interval"
done

echo
echo "datagen -> journal: rate 0, payload ${payload} B, max_records $records, compression ${COMPRESSION:-none}, $(nproc) cores"
awk -v t0="$t0" -v payload="$payload" '
  # Bytes of records 1..n: value {"n":N,"payload":"..."} is 19 + payload + digits(N); key and offset are digits(N).
  function digits_upto(n,   d, lo, hi, total) {
    total = 0; lo = 1; d = 1
    while (lo <= n) { hi = lo * 10 - 1; if (hi > n) hi = n; total += (hi - lo + 1) * d; lo *= 10; d++ }
    return total
  }
  function bytes_upto(n) { return n * (19 + payload) + 3 * digits_upto(n) }
  BEGIN {
    printf "| %-10s | %10s | %8s | %12s | %8s |\n", "interval", "records", "seconds", "records/s", "MB/s"
    printf "|%s|%s|%s|%s|%s|\n", "------------", "------------", "----------", "--------------", "----------"
    prev_t = t0; prev_h = 0; first_t = -1
  }
  {
    t = $1; h = $2
    if (h > 0 && first_t < 0) { first_t = prev_t }
    if (h > prev_h && t > prev_t) {
      dt = t - prev_t; dn = h - prev_h
      printf "| %4.1f-%4.1fs | %10d | %8.2f | %12.0f | %8.1f |\n", prev_t - t0, t - t0, dn, dt, dn / dt,
        (bytes_upto(h) - bytes_upto(prev_h)) / dt / 1e6
    }
    prev_t = t; prev_h = h; last_t = t; last_h = h
  }
  END {
    if (last_h > 0) {
      dt = last_t - t0
      printf "| %-10s | %10d | %8.2f | %12.0f | %8.1f |\n", "total", last_h, dt, last_h / dt, bytes_upto(last_h) / dt / 1e6
    }
  }' "$samples"
echo "(from the start request; a row covers one sample interval, so rates are at sample resolution)"
disk=$(du -sb "$tmp/data/journal" | cut -f1)
n_disk=$(tail -1 "$samples" | cut -d' ' -f2)
echo "journal on disk: $((disk / 1000000)) MB for $n_disk records, $(awk -v d="$disk" -v n="${n_disk:-0}" \
  'BEGIN { printf "%.1f", (n > 0 ? d / n : 0) }') bytes per record"
