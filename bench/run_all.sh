#!/usr/bin/env bash
# Runs every benchmark against the build in $1 and prints their tables.
set -euo pipefail
build=${1:-build-bench}
here=$(cd "$(dirname "$0")" && pwd)
"$build/bench/journal_bench"
"$here/api_bench.sh" "$build"
"$here/pg_cdc_bench.sh" "$build"
"$here/pg_snapshot_bench.sh" "$build"
"$here/kafka_bench.sh" "$build"
"$here/mysql_cdc_bench.sh" "$build"
"$here/e2e_datagen_bench.sh" "$build"
"$here/webhook_bench.sh" "$build"
"$here/idle_connections_bench.sh" "$build"
"$here/cdc_latency_bench.sh" "$build"
"$here/memory_bench.sh" "$build"
