#!/usr/bin/env bash
# MariaDB binlog throughput: mariadb-binlog --read-from-remote-server against
# a mysql_cdc stream end to end into the durable journal, over the same binlog
# range of one server. Per case the stream is created first and positioned at
# the binlog end (started, then stopped), the load is written, and then, one
# after the other: `mariadb-binlog --raw` (the byte copy rate: the limit of
# reading the stream), `mariadb-binlog --base64-output=decode-rows --verbose >
# /dev/null` (the server's own tool decoding every row), and streamhost, timed
# from the start request until the last row is durable in the journal (a long
# poll on /events for seq = rows). Cases: one 200k-row transaction, and 10k
# transactions of 20 rows. Rows are ~100 B (bigint, datetime(6), int,
# decimal, 52-char varchar). The journal's own ceiling comes from journal_bench
# when the build has it.
# Usage: bench/mysql_cdc_bench.sh [build-dir] [runs]
# Env: BIG_ROWS (200000), TXS (10000), TX_ROWS (20), PORT (18497), MY_PORT (18498),
#      COMPRESSION (none|lz4|zstd: journal.compression, default lz4 as the daemon).
set -euo pipefail
build=${1:-build-bench}
runs=${2:-3}
big_rows=${BIG_ROWS:-200000}
txs=${TXS:-10000}
tx_rows=${TX_ROWS:-20}
port=${PORT:-18497}
my_port=${MY_PORT:-18498}
daemon="$build/host/streamhostd"
plugins="$build/plugins"
if [ ! -x "$daemon" ] || [ ! -f "$plugins/mysql_cdc.so" ]; then
  echo "needs $daemon and $plugins/mysql_cdc.so (make streamhostd mysql_cdc)" >&2
  exit 1
fi

tmp=$(mktemp -d)
daemon_pid=
my_pid=
cleanup() {
  [ -n "$daemon_pid" ] && { kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; }
  [ -n "$my_pid" ] && { kill "$my_pid" 2>/dev/null || true; wait "$my_pid" 2>/dev/null || true; }
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- MariaDB ------------------------------------------------------------------
cat > "$tmp/my.cnf" <<CNF
[mariadbd]
user=root
datadir=$tmp/data
socket=$tmp/mysqld.sock
pid-file=$tmp/mysqld.pid
port=$my_port
bind-address=127.0.0.1
server-id=1
skip-name-resolve
log-bin=$tmp/data/mysql-bin
binlog-format=ROW
binlog-row-image=FULL
binlog-row-metadata=FULL
max_binlog_size=1G
innodb_buffer_pool_size=256M
innodb_log_file_size=256M
innodb_flush_log_at_trx_commit=2
sync_binlog=0
log-error=$tmp/mariadb.log
CNF
mariadb-install-db --defaults-file="$tmp/my.cnf" --auth-root-authentication-method=normal --skip-test-db \
  >"$tmp/install.log" 2>&1
mariadbd --defaults-file="$tmp/my.cnf" >"$tmp/mariadbd.out" 2>&1 &
my_pid=$!
for _ in $(seq 200); do mariadb-admin --no-defaults -uroot --socket="$tmp/mysqld.sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
sql() { mariadb --no-defaults -uroot --socket="$tmp/mysqld.sock" -N -B "$@"; }
sql -e "CREATE DATABASE bench; CREATE TABLE bench.bench_rows (id BIGINT PRIMARY KEY, created_at DATETIME(6) NOT NULL,
  qty INT NOT NULL, price DECIMAL(10,2) NOT NULL, note VARCHAR(64) NOT NULL)"
sql bench <<'SQL'
DELIMITER //
CREATE PROCEDURE bench_load(base BIGINT, ntx INT, per INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  WHILE i < ntx DO
    START TRANSACTION;
    INSERT INTO bench_rows SELECT seq, NOW(6), seq % 1000, (seq % 100000) / 100.0,
      CONCAT(MD5(seq), LEFT(MD5(seq + 1), 20))
      FROM seq_1_to_1000000 WHERE seq BETWEEN base + i * per + 1 AND base + (i + 1) * per;
    COMMIT;
    SET i = i + 1;
  END WHILE;
END //
SQL
version=$(sql -e "SELECT VERSION()")

# --- streamhost ---------------------------------------------------------------
key=$("$daemon" --data-dir "$tmp/sh" keys create --name bench --scopes admin 2>/dev/null)
"$daemon" --data-dir "$tmp/sh" --plugin-dir "$plugins" --listen 127.0.0.1:$port \
  --set limits.api_requests_per_second=0 --set log.level=warning --set journal.compression="${COMPRESSION:-lz4}" \
  > "$tmp/daemon.log" 2>&1 &
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
attr() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
wait_status() {  # stream status seconds
  local deadline=$(($(date +%s) + $3))
  until [ "$(api GET "/api/streams/$1" | attr status)" = "$2" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "stream $1 not $2" >&2; return 1; }
    sleep 0.05
  done
}

conn=$(api POST /api/connections "{\"name\":\"my\",\"type\":\"mysql\",\"config\":{\"host\":\"127.0.0.1\",\
\"port\":$my_port,\"user\":\"root\",\"ssl_mode\":\"disabled\"}}" | id_of)
api POST "/api/connections/$conn/test" > "$tmp/conn_test"
grep -q '"ok":true' "$tmp/conn_test" || { echo "connection test: $(cat "$tmp/conn_test")" >&2; exit 1; }

remote=(--no-defaults --read-from-remote-server --host=127.0.0.1 --port="$my_port" --user=root)

# --- the runs -----------------------------------------------------------------
base=0
results="$tmp/results"
: > "$results"
for run in $(seq "$runs"); do
  for c in big small; do
    if [ $c = big ]; then ntx=1; per=$big_rows; else ntx=$txs; per=$tx_rows; fi
    rows=$((ntx * per))
    name="${c}_$run"
    pl=$(api POST /api/pipelines "{\"name\":\"$name\"}" | id_of)
    st=$(api POST /api/streams "{\"name\":\"$name\",\"sourceType\":\"mysql_cdc\",\"pipelineId\":\"$pl\",\
\"connectionId\":\"$conn\",\"config\":{\"include_tables\":[\"bench.bench_rows\"],\"snapshot_mode\":\"never\",\
\"max_batch_rows\":8192}}" | id_of)
    api POST "/api/streams/$st/start" >/dev/null
    wait_status "$st" running 30
    api POST "/api/streams/$st/stop" >/dev/null
    read -r file from < <(sql -e "SHOW MASTER STATUS" | awk '{ print $1, $2 }')
    sql bench -e "CALL bench_load($base, $ntx, $per)"
    base=$((base + rows))
    read -r file2 to < <(sql -e "SHOW MASTER STATUS" | awk '{ print $1, $2 }')
    [ "$file" = "$file2" ] || { echo "the load crossed a binlog file; raise max_binlog_size" >&2; exit 1; }
    bytes=$((to - from))
    echo "run $run, $c: $rows rows in $ntx transactions, $file $from..$to ($bytes bytes)" >&2
    t0=$(now)
    (cd "$tmp" && mariadb-binlog "${remote[@]}" --raw --start-position="$from" --stop-position="$to" \
      --result-file=raw_ "$file")
    t1=$(now)
    raw_secs=$(secs "$t0" "$t1")
    rm -f "$tmp"/raw_*
    t0=$(now)
    mariadb-binlog "${remote[@]}" --base64-output=decode-rows --verbose --start-position="$from" \
      --stop-position="$to" "$file" > /dev/null
    t1=$(now)
    mb_secs=$(secs "$t0" "$t1")
    t0=$(now)
    api POST "/api/streams/$st/start" >/dev/null
    deadline=$(($(date +%s) + 600))
    while true; do
      out=$(api GET "/api/pipelines/$pl/events?after=$((rows - 1))&limit=1&wait_ms=2000")
      case $out in *'"seq":'*) break ;; esac
      if [ "$(api GET "/api/streams/$st" | attr status)" = error ] || [ "$(date +%s)" -ge "$deadline" ]; then
        echo "streamhost did not deliver $rows rows:" >&2
        api GET "/api/streams/$st" >&2 || true
        exit 1
      fi
    done
    t1=$(now)
    sh_secs=$(secs "$t0" "$t1")
    api POST "/api/streams/$st/stop" >/dev/null
    api DELETE "/api/streams/$st" >/dev/null
    api DELETE "/api/pipelines/$pl" >/dev/null
    echo "$c $run $rows $bytes $raw_secs $mb_secs $sh_secs" >> "$results"
  done
done

# --- report -------------------------------------------------------------------
echo
echo "mysql_cdc vs mariadb-binlog --read-from-remote-server, same binlog range, MariaDB $version, $(nproc) cores, journal.compression ${COMPRESSION:-lz4};"
echo "big = 1 transaction of $big_rows rows, small = $txs transactions of $tx_rows rows;"
echo "ratio = streamhost rows/s / mariadb-binlog --verbose rows/s (streamhost also encodes JSON and makes every row durable)"
printf "| %-5s | %3s | %7s | %9s | %9s | %12s | %10s | %12s | %10s | %5s |\n" case run rows "binlog MB" "raw MB/s" \
  "mb-binlog s" "rows/s" "streamhost s" "rows/s" ratio
printf "|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n" ------- ----- --------- ----------- ----------- -------------- \
  ------------ -------------- ------------ -------
awk '{
  printf "| %-5s | %3s | %7d | %9.1f | %9.0f | %12.3f | %10.0f | %12.3f | %10.0f | %5.2f |\n",
    $1, $2, $3, $4 / 1e6, $4 / 1e6 / $5, $6, $3 / $6, $7, $3 / $7, $6 / $7
}' "$results"
if [ -x "$build/bench/journal_bench" ]; then
  echo
  echo "The journal's own ceiling on this machine (journal_bench, 1 s per case):"
  "$build/bench/journal_bench" 1
fi
