#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang and runs each one.
# Usage: scripts/fuzz.sh BUILD_DIR time SECONDS   (each target for SECONDS)
#        scripts/fuzz.sh BUILD_DIR runs N         (each target for N inputs: CI)
# New inputs go to BUILD_DIR/corpus/<target> (the seeds in tests/fuzz/corpus
# stay as they are); a crash leaves BUILD_DIR/crash-* and fails the script.
# Prints one line per target: runs, coverage edges, corpus size.
# FUZZ_TARGETS="fuzz_a fuzz_b" limits the build and the run to those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: fuzz.sh BUILD_DIR time|runs N}
mode=${2:?usage: fuzz.sh BUILD_DIR time|runs N}
amount=${3:?usage: fuzz.sh BUILD_DIR time|runs N}
case "$mode" in
  time) limit="-max_total_time=$amount" ;;
  runs) limit="-runs=$amount" ;;
  *) echo "mode must be time or runs" >&2; exit 2 ;;
esac
command -v clang++ >/dev/null || { echo "clang is missing: apt-get install clang libclang-rt-14-dev" >&2; exit 1; }
cmake -S tests/fuzz -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
targets=()
for t in ${FUZZ_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j"${JOBS:-2}" "${targets[@]}" >/dev/null
status=0
printf '%-20s %10s %8s %8s %s\n' target runs edges corpus result
for src in tests/fuzz/fuzz_*.cpp; do
  target=$(basename "$src" .cpp)
  if [ -n "${FUZZ_TARGETS:-}" ] && [[ " $FUZZ_TARGETS " != *" $target "* ]]; then continue; fi
  work="$build/corpus/$target"
  mkdir -p "$work"
  log="$build/$target.log"
  result=ok
  (cd "$build" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "./$target" "$limit" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "corpus/$target" "../tests/fuzz/corpus/$target") >"$log" 2>&1 || { result="FAILED (see $log)"; status=1; }
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  edges=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  corpus=$(find "$work" -type f | wc -l)
  printf '%-20s %10s %8s %8s %s\n' "$target" "${runs:-?}" "${edges:-?}" "$corpus" "$result"
done
exit $status
