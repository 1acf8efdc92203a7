#!/usr/bin/env bash
# Installs only the SDK component into a temp prefix, builds tests/sdk/out_of_tree
# against it with find_package(StreamhostPluginSdk 1), and checks that streamhostd
# loads the result.
set -euo pipefail
build_dir=$1
daemon=$2
src=$(cd "$(dirname "$0")/out_of_tree" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build_dir" --component sdk --prefix "$tmp/sdk" >/dev/null
test -f "$tmp/sdk/include/streamhost/plugin_abi.h"
cmake -S "$src" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$tmp/sdk" >/dev/null
cmake --build "$tmp/build" >/dev/null
test -f "$tmp/build/plugins/ticker.so"
out=$("$daemon" --config /dev/null --data-dir "$tmp/data" --plugin-dir "$tmp/build/plugins" --list-plugins 2>&1)
echo "$out"
if ! echo "$out" | grep -q "loaded=1 refused=0" || ! echo "$out" | grep -q "source_types=ticker"; then
  echo "the out-of-tree plugin did not load" >&2
  exit 1
fi
echo "out-of-tree plugin built against the installed SDK and loaded"
