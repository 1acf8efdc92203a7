#!/usr/bin/env bash
# Installs what streamhost needs from Debian's packages. Idempotent: when
# everything is present it only checks, which takes well under a second.
#   install-deps.sh run    build and run the service
#   install-deps.sh test   also the servers and tools the tests start
#   install-deps.sh package  also what `make package-test` uses (Debian root, lintian, rpmlint)
set -euo pipefail

mode=${1:-test}
run_pkgs=(build-essential cmake pkg-config ccache libpoco-dev libboost-dev libpq-dev librdkafka-dev
  libssl-dev libyaml-cpp-dev libsqlite3-dev libmariadb-dev zlib1g-dev liblz4-dev libzstd-dev curl)
test_pkgs=(libgtest-dev libgmock-dev libbenchmark-dev postgresql openssl mariadb-server kcat rpm wrk clang libclang-rt-14-dev
  chromium)

package_pkgs=(rpm rpmlint lintian mmdebstrap debugedit file)

pkgs=("${run_pkgs[@]}")
if [ "$mode" = test ]; then
  pkgs+=("${test_pkgs[@]}")
fi
if [ "$mode" = package ]; then
  pkgs+=("${package_pkgs[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The console is built with node and npm (Debian's nodejs 18 and npm 9 do);
# a node installed some other way, with its own npm, is used as it is.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "Installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Packages installed."
