#!/usr/bin/env bash
# Starts streamhostd on examples/quickstart.yaml in the foreground, after
# making an admin key on first run (kept in data/admin.key, mode 0600).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin="$build/host/streamhostd"
cfg=examples/quickstart.yaml
mkdir -p data
chmod 700 data
if [ ! -s data/admin.key ]; then
  (umask 077; "$bin" --config "$cfg" --plugin-dir "$build/plugins" keys create --name admin --scopes admin > data/admin.key)
fi
key=$(cat data/admin.key)
listen=$("$bin" --config "$cfg" --check-config | awk '$1=="listen:"{print $2}')
url="http://$listen"
cat <<MSG

streamhost is starting at $url
The console: $url/console/ (sign in with the key below)
Admin API key (stored in data/admin.key): $key

Try, in another terminal (README.md walks through them):
  export SH=$url SH_KEY=\$(cat data/admin.key)
  auth=(-H "Authorization: Bearer \$SH_KEY" -H "Content-Type: application/json")
  curl -s "\${auth[@]}" \$SH/api/plugins
  curl -s "\${auth[@]}" -d '{"name":"demo"}' \$SH/api/pipelines                 # note the pl_ id
  curl -s "\${auth[@]}" -d '{"name":"gen","sourceType":"datagen","pipelineId":"PL_ID","config":{"rate_per_second":100}}' \$SH/api/streams
  curl -s "\${auth[@]}" -X POST \$SH/api/streams/STR_ID/start
  curl -s "\${auth[@]}" "\$SH/api/pipelines/PL_ID/events?after=0&limit=5"

Stop with Ctrl-C.

MSG
exec "$bin" --config "$cfg" --plugin-dir "$build/plugins" --set console.assets_dir="$build/console"
