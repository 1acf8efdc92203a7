#!/usr/bin/env bash
# The host's rooms stand in floors (docs/architecture.md): a file under
# host/src/<room>/ may include its own room and rooms on lower floors only,
# and no host file includes the plugin author's plugin_sdk.hpp.
# Usage: check_rooms.sh HOST_SRC_DIR
set -euo pipefail
src=${1:?usage: check_rooms.sh HOST_SRC_DIR}

declare -A floor=(
  [common]=0
  [config]=1 [store]=1 [journal]=1 [metrics]=1 [plugins]=1
  [runtime]=2
  [core]=3
  [api]=4
  [app]=5
)

bad=0
for dir in "$src"/*/; do
  room=$(basename "$dir")
  if [[ -z "${floor[$room]+x}" ]]; then
    echo "unknown room host/src/$room: give it a floor in this script and in docs/architecture.md"
    bad=1
    continue
  fi
  for file in "$dir"*; do
    while IFS= read -r line; do
      target=${line#*\"}
      target=${target%%/*}
      if [[ -z "${floor[$target]+x}" ]]; then
        continue  # not a room (a system or library header)
      fi
      if [[ "$target" != "$room" && ${floor[$target]} -ge ${floor[$room]} ]]; then
        echo "host/src/$room/$(basename "$file") includes \"$target/...\": $room (floor ${floor[$room]}) may include only lower floors"
        bad=1
      fi
    done < <(grep -E '^#include "[a-z_]+/' "$file" || true)
    if grep -q 'streamhost/plugin_sdk.hpp' "$file"; then
      echo "host/src/$room/$(basename "$file") includes plugin_sdk.hpp, the plugin author's header"
      bad=1
    fi
  done
done
if [[ $bad -ne 0 ]]; then
  exit 1
fi
echo "room order holds: app > api > core > runtime > {plugins, journal, store, metrics, config} > common"
