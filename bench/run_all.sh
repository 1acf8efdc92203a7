#!/usr/bin/env bash
# Runs every benchmark against the build in $1 and prints their tables, then
# how close datagen -> journal comes to the journal's own append rate (same run).
set -euo pipefail
build=${1:-build-bench}
here=$(cd "$(dirname "$0")" && pwd)
jb=$("$build/bench/journal_bench")
echo "$jb"
# records/s of "journal append+group" for 100 B records.
journal_rps=$(echo "$jb" | awk -F'|' '$2 ~ /journal append\+group/ && $3 ~ / 100 B/ { gsub(/ /, "", $4); print $4; exit }')
"$here/api_bench.sh" "$build"
"$here/pg_cdc_bench.sh" "$build"
"$here/pg_snapshot_bench.sh" "$build"
"$here/kafka_bench.sh" "$build"
"$here/mysql_cdc_bench.sh" "$build"
summary=()
for codec in none lz4 zstd; do
  out=$(COMPRESSION=$codec "$here/e2e_datagen_bench.sh" "$build")
  echo "$out"
  rps=$(echo "$out" | awk -F'|' '$2 ~ /total/ { gsub(/ /, "", $5); print $5 }')
  bpr=$(echo "$out" | sed -n 's/.*, \([0-9.]*\) bytes per record/\1/p')
  summary+=("$(printf '| %-6s | %12s | %12s | %6s | %10s |' "$codec" "${rps:-?}" "${journal_rps:-?}" \
    "$(awk -v a="${rps:-0}" -v b="${journal_rps:-0}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" "${bpr:-?}")")
done
"$here/webhook_bench.sh" "$build"
"$here/idle_connections_bench.sh" "$build"
"$here/cdc_latency_bench.sh" "$build"
"$here/memory_bench.sh" "$build"
echo
echo "datagen -> journal against journal_bench append+group (100 B records, same run):"
printf '| %-6s | %12s | %12s | %6s | %10s |\n' codec "e2e rec/s" "journal rec/s" ratio "B/record"
echo "|--------|--------------|--------------|--------|------------|"
printf '%s\n' "${summary[@]}"
