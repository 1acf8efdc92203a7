#!/usr/bin/env bash
# postgres_cdc latency: how long after a row is written it becomes readable
# from the pipeline's long-poll, at a steady insert rate. pgbench writes rows
# of ~100 B in transactions of TX_ROWS rows at the given rate (fsync and
# synchronous_commit on); each row carries commit_ts = clock_timestamp() as
# epoch seconds, and bench/latency_reader follows /events and takes now minus
# commit_ts per record (one machine, one clock). The first second of each run
# is left out as warm-up. Each rate runs once per group-commit delay, so the
# table shows what the delay trades: it lets one fsync cover more batches when
# the disk is the limit, and adds up to that many ms to every record.
# Usage: bench/cdc_latency_bench.sh [build-dir] [seconds]
# Env: RATES ("10000 40000" rows/s), DELAYS ("0 2 5" ms), TX_ROWS (20), PORT (18503), PG_PORT (18504)
set -euo pipefail
build=${1:-build-bench}
secs=${2:-15}
rates=${RATES:-10000 40000}
delays=${DELAYS:-0 2 5}
tx_rows=${TX_ROWS:-20}
port=${PORT:-18503}
pg_port=${PG_PORT:-18504}
daemon="$build/host/streamhostd"
plugins="$build/plugins"
reader="$build/bench/latency_reader"
pgbin=/usr/lib/postgresql/15/bin
for f in "$daemon" "$plugins/postgres_cdc.so" "$reader"; do
  [ -e "$f" ] || { echo "needs $f (build with -DSTREAMHOST_BUILD_BENCH=ON)" >&2; exit 1; }
done

tmp=$(mktemp -d)
chown postgres:postgres "$tmp"
daemon_pid=
stop_daemon() {
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
    daemon_pid=
  fi
}
cleanup() {
  stop_daemon
  if [ -f "$tmp/pg/postmaster.pid" ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

runuser -u postgres -- "$pgbin/initdb" -D "$tmp/pg" -U postgres -A trust -E UTF8 --no-locale --no-sync >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w start -o "-p $pg_port -k $tmp \
  -c listen_addresses=127.0.0.1 -c wal_level=logical -c max_wal_senders=10 -c max_replication_slots=10 \
  -c max_wal_size=4GB" >/dev/null
conninfo="host=127.0.0.1 port=$pg_port user=postgres dbname=postgres"
sql() { psql "$conninfo" -XAtq -v ON_ERROR_STOP=1 "$@"; }
sql <<'SQL'
CREATE TABLE lat_rows (id bigserial PRIMARY KEY, commit_ts double precision NOT NULL, qty int NOT NULL,
                       note text NOT NULL);
CREATE PUBLICATION lat_pub FOR TABLE lat_rows;
SQL
cat > "$tmp/load.sql" <<SQL
INSERT INTO lat_rows (commit_ts, qty, note)
  SELECT extract(epoch FROM clock_timestamp()), g, md5(g::text) || left(md5((g + 1)::text), 20)
  FROM generate_series(1, $tx_rows) g;
SQL

api() {  # method path [body]
  local out code
  out=$(curl -s -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "http://127.0.0.1:$port$2")
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  [ "${code:0:1}" = 2 ] || { echo "$1 $2 answered $code: $out" >&2; return 1; }
  printf '%s' "$out"
}
id_of() { sed 's/.*"id":"\([^"]*\)".*/\1/'; }
slot_active() {
  [ "$(sql -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$1' AND active")" = 1 ]
}

key=$("$daemon" --data-dir "$tmp/sh" keys create --name bench --scopes admin 2>/dev/null)
results="$tmp/results"
: > "$results"
run=0
for delay in $delays; do
  stop_daemon
  "$daemon" --data-dir "$tmp/sh" --plugin-dir "$plugins" --listen 127.0.0.1:$port \
    --set limits.api_requests_per_second=0 --set log.level=warning \
    --set journal.group_commit_delay_ms="$delay" > "$tmp/daemon.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
  conn=$(api POST /api/connections "{\"name\":\"pg$delay\",\"type\":\"postgres\",\"config\":{\"host\":\"127.0.0.1\",\
\"port\":$pg_port,\"database\":\"postgres\",\"user\":\"postgres\",\"sslmode\":\"disable\"}}" | id_of)
  for rate in $rates; do
    run=$((run + 1))
    slot="lat_$run"
    pl=$(api POST /api/pipelines "{\"name\":\"lat$run\"}" | id_of)
    st=$(api POST /api/streams "{\"name\":\"lat$run\",\"sourceType\":\"postgres_cdc\",\"pipelineId\":\"$pl\",\
\"connectionId\":\"$conn\",\"config\":{\"slot_name\":\"$slot\",\"publication\":\"lat_pub\",\
\"create_publication\":false,\"snapshot_mode\":\"never\"}}" | id_of)
    api POST "/api/streams/$st/start" >/dev/null
    for _ in $(seq 300); do slot_active "$slot" && break; sleep 0.1; done
    tps=$((rate / tx_rows))
    echo "group_commit_delay_ms $delay, $rate rows/s: $secs s of load..." >&2
    "$reader" 127.0.0.1 $port "$key" "$pl" 1000000000 "$rate" > "$tmp/reader.out" &
    reader_pid=$!
    pgbench -n -h 127.0.0.1 -p $pg_port -U postgres -c 8 -j 2 -T "$secs" --rate="$tps" -f "$tmp/load.sql" \
      postgres > "$tmp/pgbench.out" 2>&1
    sql -c "INSERT INTO lat_rows (commit_ts, qty, note) VALUES (-1, 0, 'end')"
    wait "$reader_pid"
    done_rate=$(awk '/^tps = /{printf "%.0f", $3 * '"$tx_rows"'; exit}' "$tmp/pgbench.out")
    read -r count p50 p99 max < "$tmp/reader.out"
    echo "$delay $rate ${done_rate:-?} $count $p50 $p99 $max" >> "$results"
    api POST "/api/streams/$st/stop" >/dev/null
    api DELETE "/api/streams/$st?force=true" >/dev/null
    api DELETE "/api/pipelines/$pl" >/dev/null
  done
done

echo
echo "postgres_cdc latency, row written (clock_timestamp) to readable from /events, $(nproc) cores, $tx_rows rows/tx"
printf "| %-16s | %12s | %12s | %9s | %8s | %8s | %8s |\n" "group commit ms" "target rows/s" "done rows/s" records \
  "p50 ms" "p99 ms" "max ms"
printf "|%s|%s|%s|%s|%s|%s|%s|\n" ------------------ -------------- -------------- ----------- ---------- ---------- \
  ----------
awk '{ printf "| %-16s | %12s | %12s | %9s | %8s | %8s | %8s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$results"
