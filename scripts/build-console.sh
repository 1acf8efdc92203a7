#!/usr/bin/env bash
# Builds the web console into BUILD_DIR/console: the npm packages of
# console/package-lock.json (npm ci, into BUILD_DIR/console-npm, only when the
# lock changed), then console/src plus uPlot's ES module and stylesheet.
# No bundler: the browser loads the ES modules as they are.
# Usage: build-console.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$(realpath "${1:?usage: build-console.sh SOURCE_DIR BUILD_DIR}")
build=$(realpath -m "${2:?usage: build-console.sh SOURCE_DIR BUILD_DIR}")
npmdir=$build/console-npm
out=$build/console

mkdir -p "$npmdir"
if ! cmp -s "$src/console/package-lock.json" "$npmdir/package-lock.json" ||
   [ ! -f "$npmdir/node_modules/.package-lock.json" ]; then
  cp "$src/console/package.json" "$src/console/package-lock.json" "$npmdir/"
  (cd "$npmdir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

rm -rf "$out.tmp"
cp -r "$src/console/src" "$out.tmp"
mkdir -p "$out.tmp/vendor"
cp "$npmdir/node_modules/uplot/dist/uPlot.esm.js" "$npmdir/node_modules/uplot/dist/uPlot.min.css" "$out.tmp/vendor/"
rm -rf "$out"
mv "$out.tmp" "$out"
