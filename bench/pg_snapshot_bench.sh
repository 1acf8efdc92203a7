#!/usr/bin/env bash
# postgres_cdc initial snapshot against COPY of the same table on the same
# server: `COPY (SELECT * FROM t) TO STDOUT` into /dev/null (the server's
# fastest way out, no client-side work), then a postgres_cdc stream with
# snapshot_mode initial, timed from the start request until the last row is
# durable in the journal (a long poll on /events for seq = rows). The table
# is wide and mixed like the published "firenibble" layout: 16 columns of
# bigint, int, double, varchar and date, about 230 bytes a row.
# Usage: bench/pg_snapshot_bench.sh [build-dir] [runs]
# Env: ROWS (1000000), PORT (18505), PG_PORT (18506), COMPRESSION (none|lz4|zstd: journal.compression, default lz4 as the daemon)
set -euo pipefail
build=${1:-build-bench}
runs=${2:-2}
rows=${ROWS:-1000000}
port=${PORT:-18505}
pg_port=${PG_PORT:-18506}
daemon="$build/host/streamhostd"
plugins="$build/plugins"
pgbin=/usr/lib/postgresql/15/bin
for f in "$daemon" "$plugins/postgres_cdc.so"; do
  [ -e "$f" ] || { echo "needs $f" >&2; exit 1; }
done

tmp=$(mktemp -d)
chown postgres:postgres "$tmp"
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
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
  -c max_wal_size=4GB -c shared_buffers=512MB" >/dev/null
postmaster=$(head -1 "$tmp/pg/postmaster.pid")
conninfo="host=127.0.0.1 port=$pg_port user=postgres dbname=postgres"
sql() { psql "$conninfo" -XAtq -v ON_ERROR_STOP=1 "$@"; }
echo "loading $rows rows..." >&2
sql <<SQL
CREATE TABLE firenibble (
  id bigint PRIMARY KEY, c_int1 int, c_big1 bigint, c_dbl1 double precision, c_str1 varchar(40), c_date1 date,
  c_int2 int, c_dbl2 double precision, c_str2 varchar(40), c_big2 bigint, c_date2 date, c_int3 int,
  c_str3 varchar(40), c_dbl3 double precision, c_big3 bigint, c_str4 varchar(24));
INSERT INTO firenibble
  SELECT g, g % 100000, g * 7919, g / 7.0, md5(g::text), date '2020-01-01' + (g % 2000)::int,
         g % 77, g * 1.5, md5((g + 1)::text), g * 31, date '2001-01-01' + (g % 9000)::int, g % 1000,
         md5((g + 2)::text), g / 3.0, g * 131, left(md5((g + 3)::text), 24)
  FROM generate_series(1::bigint, $rows) g;
CREATE PUBLICATION snap_pub FOR TABLE firenibble;
VACUUM ANALYZE firenibble;
SQL
bytes=$(sql -c "SELECT pg_table_size('firenibble')")

key=$("$daemon" --data-dir "$tmp/sh" keys create --name bench --scopes admin 2>/dev/null)
"$daemon" --data-dir "$tmp/sh" --plugin-dir "$plugins" --listen 127.0.0.1:$port \
  --set limits.api_requests_per_second=0 --set log.level=warning --set journal.compression="${COMPRESSION:-lz4}" \
  > "$tmp/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
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
conn=$(api POST /api/connections "{\"name\":\"pg\",\"type\":\"postgres\",\"config\":{\"host\":\"127.0.0.1\",\
\"port\":$pg_port,\"database\":\"postgres\",\"user\":\"postgres\",\"sslmode\":\"disable\"}}" | id_of)

ticks=$(getconf CLK_TCK)
proc_ticks() { local f; read -r -a f < "/proc/$1/stat"; echo $((f[13] + f[14])); }
pg_ticks() {  # the postmaster's children, living
  local total=0 c f
  for c in $(pgrep -P "$postmaster"); do
    if read -r -a f < "/proc/$c/stat" 2>/dev/null; then total=$((total + f[13] + f[14])); fi
  done
  echo "$total"
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
results="$tmp/results"
: > "$results"
for run in $(seq "$runs"); do
  t0=$EPOCHREALTIME
  psql "$conninfo" -XAtq -c "COPY (SELECT * FROM firenibble) TO STDOUT" > /dev/null
  t1=$EPOCHREALTIME
  copy_s=$(secs "$t0" "$t1")

  pl=$(api POST /api/pipelines "{\"name\":\"snap$run\"}" | id_of)
  st=$(api POST /api/streams "{\"name\":\"snap$run\",\"sourceType\":\"postgres_cdc\",\"pipelineId\":\"$pl\",\
\"connectionId\":\"$conn\",\"config\":{\"slot_name\":\"snap_$run\",\"publication\":\"snap_pub\",\
\"create_publication\":false,\"snapshot_mode\":\"initial\"}}" | id_of)
  d0=$(proc_ticks "$daemon_pid")
  t0=$EPOCHREALTIME
  api POST "/api/streams/$st/start" >/dev/null
  while true; do
    out=$(api GET "/api/pipelines/$pl/events?after=$((rows - 1))&limit=1&wait_ms=2000")
    case $out in *'"seq":'*) break ;; esac
    case $(api GET "/api/streams/$st") in *'"status":"error"'*) echo "stream failed" >&2; api GET "/api/streams/$st" >&2; exit 1 ;; esac
  done
  t1=$EPOCHREALTIME
  d1=$(proc_ticks "$daemon_pid")
  sh_s=$(secs "$t0" "$t1")
  sh_cpu=$(awk -v t=$((d1 - d0)) -v s="$sh_s" -v hz="$ticks" 'BEGIN { printf "%.0f%%", 100 * t / hz / s }')
  journal_mb=$(du -sm "$tmp/sh/journal" 2>/dev/null | cut -f1 || echo "?")
  echo "$run $copy_s $sh_s $sh_cpu" >> "$results"
  api POST "/api/streams/$st/stop" >/dev/null
  api DELETE "/api/streams/$st?force=true" >/dev/null
  api DELETE "/api/pipelines/$pl" >/dev/null
done

echo
echo "postgres_cdc snapshot vs COPY TO STDOUT, $rows rows of 16 mixed columns ($((bytes / 1048576)) MiB on disk), $(nproc) cores, journal.compression ${COMPRESSION:-lz4}"
printf "| %3s | %8s | %10s | %12s | %10s | %14s | %5s |\n" run "COPY s" "rows/s" "streamhost s" "rows/s" \
  "streamhost cpu" ratio
printf "|%s|%s|%s|%s|%s|%s|%s|\n" ----- ---------- ------------ -------------- ------------ ---------------- -------
awk -v r="$rows" '{ printf "| %3s | %8.3f | %10.0f | %12.3f | %10.0f | %14s | %5.2f |\n", $1, $2, r / $2, $3, r / $3, $4, $2 / $3 }' \
  "$results"
