#!/usr/bin/env bash
# PostgreSQL CDC throughput: pg_recvlogical (pgoutput) against a postgres_cdc
# stream end to end into the durable journal, on the same WAL of one server.
# Per run and case, every consumer gets its own slot created before the load,
# so all of them decode exactly the same WAL; then they run one after the other:
# pg_recvlogical proto_version=1, pg_recvlogical proto_version=2 streaming=on
# (both with --endpos and fsync of the output file on exit), then streamhost,
# timed from the start request until the last row is durable in the journal
# (a long poll on /events for seq = rows). Cases: one 200k-row transaction,
# and 10k transactions of 20 rows. Rows are ~100 B (bigint, timestamptz, int,
# numeric, 52-char text). CPU columns are CPU seconds over the run's wall time.
# Usage: bench/pg_cdc_bench.sh [build-dir] [runs]
# Env: BIG_ROWS (200000), TXS (10000), TX_ROWS (20), PORT (18495), PG_PORT (18496),
#      WORK_MEM (logical_decoding_work_mem; server default 64MB when unset).
set -euo pipefail
build=${1:-build-bench}
runs=${2:-3}
big_rows=${BIG_ROWS:-200000}
txs=${TXS:-10000}
tx_rows=${TX_ROWS:-20}
port=${PORT:-18495}
pg_port=${PG_PORT:-18496}
daemon="$build/host/streamhostd"
plugins="$build/plugins"
pgbin=/usr/lib/postgresql/15/bin
if [ ! -x "$daemon" ] || [ ! -f "$plugins/postgres_cdc.so" ]; then
  echo "needs $daemon and $plugins/postgres_cdc.so (make streamhostd postgres_cdc)" >&2
  exit 1
fi

tmp=$(mktemp -d)
chown postgres:postgres "$tmp"
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  if [ -f "$tmp/data/postmaster.pid" ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL ---------------------------------------------------------------
runuser -u postgres -- "$pgbin/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
  >/dev/null
pg_opts="-p $pg_port -k $tmp -c listen_addresses=127.0.0.1 -c wal_level=logical -c max_wal_senders=10"
pg_opts+=" -c max_replication_slots=10 -c max_wal_size=4GB"
[ -n "${WORK_MEM:-}" ] && pg_opts+=" -c logical_decoding_work_mem=$WORK_MEM"
runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/pg.log" -w start -o "$pg_opts" >/dev/null
postmaster=$(head -1 "$tmp/data/postmaster.pid")
conninfo="host=127.0.0.1 port=$pg_port user=postgres dbname=postgres"
sql() { psql "$conninfo" -XAtq -v ON_ERROR_STOP=1 "$@"; }

sql <<'SQL'
CREATE TABLE bench_rows (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, qty int NOT NULL,
                         price numeric(10,2) NOT NULL, note text NOT NULL);
CREATE PUBLICATION bench_pub FOR TABLE bench_rows;
CREATE PROCEDURE bench_load(base bigint, ntx int, per int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 0 .. ntx - 1 LOOP
    INSERT INTO bench_rows
      SELECT g, now(), g % 1000, (g % 100000) / 100.0, md5(g::text) || left(md5((g + 1)::text), 20)
      FROM generate_series(base + i::bigint * per + 1, base + (i + 1)::bigint * per) g;
    COMMIT;
  END LOOP;
END $$;
SQL
work_mem=$(sql -c "SHOW logical_decoding_work_mem")

# --- streamhost ---------------------------------------------------------------
key=$("$daemon" --data-dir "$tmp/sh" keys create --name bench --scopes admin 2>/dev/null)
"$daemon" --data-dir "$tmp/sh" --plugin-dir "$plugins" --listen 127.0.0.1:$port \
  --set limits.api_requests_per_second=0 --set log.level=warning > "$tmp/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done

api() {  # method path [body]; fails on an HTTP error and prints the body
  local out code
  out=$(curl -s -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "http://127.0.0.1:$port$2")
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  if [ "${code:0:1}" != 2 ]; then
    echo "$1 $2 answered $code: $out" >&2
    return 1
  fi
  printf '%s' "$out"
}
id_of() { sed 's/.*"id":"\([^"]*\)".*/\1/'; }
attr() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }  # first value of a flat attribute

conn=$(api POST /api/connections "{\"name\":\"pg\",\"type\":\"postgres\",\"config\":{\"host\":\"127.0.0.1\",\
\"port\":$pg_port,\"database\":\"postgres\",\"user\":\"postgres\",\"sslmode\":\"disable\"}}" | id_of)
api POST "/api/connections/$conn/test" > "$tmp/conn_test"
grep -q '"ok":true' "$tmp/conn_test" || { echo "connection test: $(cat "$tmp/conn_test")" >&2; exit 1; }

# --- measuring helpers --------------------------------------------------------
ticks=$(getconf CLK_TCK)
pg_ticks() {  # CPU ticks of the postmaster and its children, living or reaped
  local total c f
  read -r -a f < "/proc/$postmaster/stat"
  total=$((f[13] + f[14] + f[15] + f[16]))
  for c in $(pgrep -P "$postmaster"); do
    if read -r -a f < "/proc/$c/stat" 2>/dev/null; then total=$((total + f[13] + f[14])); fi
  done
  echo "$total"
}
proc_ticks() {  # own ticks of pid $1 (all threads) plus its reaped children
  local f
  read -r -a f < "/proc/$1/stat"
  echo $((f[13] + f[14] + f[15] + f[16]))
}
thread_ticks() {  # "tid ticks" per thread of pid $1
  local t f
  for t in /proc/"$1"/task/*; do
    if read -r -a f < "$t/stat" 2>/dev/null; then echo "${t##*/} $((f[13] + f[14]))"; fi
  done
}
now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
cpu_share() { awk -v t="$1" -v s="$2" -v hz="$ticks" 'BEGIN { printf "%.0f%%", (s > 0 ? 100 * t / hz / s : 0) }'; }
slot_inactive() {
  [ "$(sql -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$1' AND NOT active")" = 1 ]
}
wait_for() {  # seconds command...: polls the command every 50 ms
  local deadline=$(($(date +%s) + $1)); shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 0.05
  done
}
slot_stats() {  # spill_txns/spill_MB stream_txns of slot $1
  sql -F' ' -c "SELECT spill_txns, round(spill_bytes / 1e6), stream_txns FROM pg_stat_replication_slots
                WHERE slot_name = '$1'" | awk 'NF { printf "%s/%s/%s", $1, $2, $3; exit } END { if (!NR) printf "-" }'
}

# pg_recvlogical from the slot's position up to $endpos; sets rl_secs, rl_cpu, rl_pg_cpu, rl_spill.
run_recvlogical() {  # slot proto extra-options...
  local slot=$1 proto=$2 t0 t1 p0 p1 self0 self1
  shift 2
  p0=$(pg_ticks)
  read -r -a self0 < "/proc/$$/stat"
  t0=$(now)
  pg_recvlogical -d "$conninfo" --slot "$slot" --start --endpos "$endpos" --no-loop \
    -o proto_version="$proto" -o publication_names=bench_pub "$@" -f "$tmp/$slot.out"
  t1=$(now)
  read -r -a self1 < "/proc/$$/stat"
  wait_for 10 slot_inactive "$slot"
  p1=$(pg_ticks)
  rl_secs=$(secs "$t0" "$t1")
  rl_cpu=$(cpu_share $((self1[15] + self1[16] - self0[15] - self0[16])) "$rl_secs")
  rl_pg_cpu=$(cpu_share $((p1 - p0)) "$rl_secs")
  rl_spill=$(slot_stats "$slot")
  rl_bytes=$(stat -c %s "$tmp/$slot.out")
  sql -c "SELECT pg_drop_replication_slot('$slot')" >/dev/null
  rm -f "$tmp/$slot.out"
}

# A fresh pipeline and a postgres_cdc stream whose slot exists, stopped, positioned before the load.
prepare_stream() {  # name
  local name=$1 slot="sh_$1"
  sh_pl=$(api POST /api/pipelines "{\"name\":\"$name\"}" | id_of)
  sh_st=$(api POST /api/streams "{\"name\":\"$name\",\"sourceType\":\"postgres_cdc\",\"pipelineId\":\"$sh_pl\",\
\"connectionId\":\"$conn\",\"config\":{\"slot_name\":\"$slot\",\"publication\":\"bench_pub\",\
\"create_publication\":false,\"snapshot_mode\":\"never\"}}" | id_of)
  sh_slot=$slot
  api POST "/api/streams/$sh_st/start" >/dev/null
  wait_for 30 sh_slot_exists
  api POST "/api/streams/$sh_st/stop" >/dev/null
  wait_for 10 slot_inactive "$slot"
}
sh_slot_exists() {
  [ "$(sql -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$sh_slot'")" = 1 ]
}

# Starts the prepared stream and waits until record $1 is durable; sets sh_secs, sh_cpu, sh_pg_cpu, sh_spill.
run_streamhost() {  # rows
  local rows=$1 t0 t1 p0 p1 d0 d1 out deadline status head
  thread_ticks "$daemon_pid" | sort > "$tmp/threads0"
  p0=$(pg_ticks)
  d0=$(proc_ticks "$daemon_pid")
  t0=$(now)
  api POST "/api/streams/$sh_st/start" >/dev/null
  deadline=$(($(date +%s) + 600))
  while true; do
    out=$(api GET "/api/pipelines/$sh_pl/events?after=$((rows - 1))&limit=1&wait_ms=2000")
    case $out in *'"seq":'*) break ;; esac
    status=$(api GET "/api/streams/$sh_st" | attr status)
    if [ "$status" = error ] || [ "$(date +%s)" -ge "$deadline" ]; then
      echo "streamhost did not deliver $rows rows (status $status):" >&2
      api GET "/api/streams/$sh_st" >&2 || true
      api GET "/api/pipelines/$sh_pl" >&2 || true
      return 1
    fi
  done
  t1=$(now)
  d1=$(proc_ticks "$daemon_pid")
  p1=$(pg_ticks)
  thread_ticks "$daemon_pid" | sort > "$tmp/threads1"
  sh_secs=$(secs "$t0" "$t1")
  sh_cpu=$(cpu_share $((d1 - d0)) "$sh_secs")
  sh_pg_cpu=$(cpu_share $((p1 - p0)) "$sh_secs")
  sh_threads=$(join -a 2 -e 0 -o 0,1.2,2.2 "$tmp/threads0" "$tmp/threads1" | awk -v hz="$ticks" -v s="$sh_secs" \
    '{ d = $3 - $2; if (d > 0) printf "%d %.0f%%\n", d, 100 * d / hz / s }' | sort -rn | head -4 |
    awk '{ printf "%s%s", sep, $2; sep = " " }')
  api POST "/api/streams/$sh_st/stop" >/dev/null
  wait_for 10 slot_inactive "$sh_slot"
  sh_spill=$(slot_stats "$sh_slot")
  head=$(api GET "/api/pipelines/$sh_pl" | attr head_seq)
  [ "$head" = "$rows" ] || echo "note: pipeline holds $head records for $rows rows" >&2
  api DELETE "/api/streams/$sh_st?force=true" >/dev/null
  api DELETE "/api/pipelines/$sh_pl" >/dev/null
}

# --- the runs -----------------------------------------------------------------
base=0
results="$tmp/results"
: > "$results"
for run in $(seq "$runs"); do
  for c in big small; do
    if [ $c = big ]; then ntx=1; per=$big_rows; else ntx=$txs; per=$tx_rows; fi
    rows=$((ntx * per))
    name="${c}_$run"
    sql -c "SELECT pg_create_logical_replication_slot('rl1_$name', 'pgoutput')" >/dev/null
    sql -c "SELECT pg_create_logical_replication_slot('rl2_$name', 'pgoutput')" >/dev/null
    prepare_stream "$name"
    sql -c "SET synchronous_commit = off" -c "CALL bench_load($base, $ntx, $per)"
    base=$((base + rows))
    endpos=$(sql -c "SELECT pg_current_wal_insert_lsn()")
    sql -c "CHECKPOINT"
    echo "run $run, $c: $rows rows in $ntx transactions up to $endpos" >&2
    run_recvlogical "rl1_$name" 1
    rl1=("$rl_secs" "$rl_cpu" "$rl_pg_cpu" "$rl_spill" "$rl_bytes")
    run_recvlogical "rl2_$name" 2 -o streaming=on
    rl2=("$rl_secs" "$rl_cpu" "$rl_pg_cpu" "$rl_spill" "$rl_bytes")
    run_streamhost "$rows"
    echo "$c $run $rows ${rl1[*]} ${rl2[*]} $sh_secs $sh_cpu $sh_pg_cpu $sh_spill ${sh_threads// /,}" >> "$results"
  done
done

# --- report -------------------------------------------------------------------
echo
echo "postgres_cdc vs pg_recvlogical (pgoutput), same WAL, $(nproc) cores, logical_decoding_work_mem $work_mem;"
echo "big = 1 transaction of $big_rows rows, small = $txs transactions of $tx_rows rows; ratio = streamhost / best pg_recvlogical"
printf "| %-5s | %3s | %7s | %11s | %9s | %11s | %9s | %12s | %9s | %5s |\n" case run rows \
  "rl v1 s" "rows/s" "rl v2+str s" "rows/s" "streamhost s" "rows/s" ratio
printf "|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n" -------  -----  ---------  -------------  -----------  \
  -------------  -----------  --------------  -----------  -------
awk '{
  best = ($4 < $9) ? $4 : $9
  printf "| %-5s | %3s | %7d | %11.3f | %9.0f | %11.3f | %9.0f | %12.3f | %9.0f | %5.2f |\n",
    $1, $2, $3, $4, $3 / $4, $9, $3 / $9, $14, $3 / $14, best / $14
}' "$results"
awk '{ print $1, $3, $4, $9, $14 }' "$results" | sort -k1,1 -k3,3n | awk '
  { n[$1]++; r[$1] = $2; v1[$1, n[$1]] = $3; v2[$1, n[$1]] = $4; sh[$1, n[$1]] = $5 }
  function med(a, c, k,   i, j, t, x) {
    for (i = 1; i <= k; i++) x[i] = a[c, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
    return (k % 2) ? x[(k + 1) / 2] : (x[k / 2] + x[k / 2 + 1]) / 2
  }
  END {
    for (c in n) {
      a = med(v1, c, n[c]); b = med(v2, c, n[c]); s = med(sh, c, n[c]); best = a < b ? a : b
      printf "| %-5s | med | %7d | %11.3f | %9.0f | %11.3f | %9.0f | %12.3f | %9.0f | %5.2f |\n",
        c, r[c], a, r[c] / a, b, r[c] / b, s, r[c] / s, best / s
    }
  }'
echo
echo "CPU share over each run's wall time (client / postgres incl. walsender); spill = spill_txns/spill_MB/stream_txns"
echo "of the slot; sh threads = busiest streamhostd threads"
printf "| %-5s | %3s | %14s | %10s | %14s | %10s | %14s | %10s | %-20s |\n" case run "rl v1 cpu" "v1 spill" \
  "rl v2 cpu" "v2 spill" "streamhost cpu" "sh spill" "sh threads"
printf "|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n" ------- ----- ---------------- ------------ ---------------- \
  ------------ ---------------- ------------ ----------------------
awk '{
  printf "| %-5s | %3s | %14s | %10s | %14s | %10s | %14s | %10s | %-20s |\n",
    $1, $2, $5 " / " $6, $7, $10 " / " $11, $12, $15 " / " $16, $17, $18
}' "$results"
grep -iE 'warn|error' "$tmp/daemon.log" | sort | uniq -c | sort -rn | head -5 || true
