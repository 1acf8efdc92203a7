#!/usr/bin/env bash
# The packages as an administrator meets them, in a throwaway Debian 12 root:
# build the deb and rpm (version N) and a deb N+1 (a bumped version with one
# more store migration); lintian and rpmlint; then, in a chroot inside a
# private network namespace, install N (user, data dir, unit enabled), start
# the daemon from the unit's ExecStart line as the service user, create the
# first key, check /readyz and /api/plugins, upgrade to N+1 with one stream
# running and one paused, refuse the downgrade back to N, and purge twice:
# without and with the administrator's agreement to remove the data.
#
# The Debian root is made once with mmdebstrap (with the packages the deb
# depends on) and kept as a tarball under /var/cache/streamhost-package-test.
# Usage: package-test.sh BUILD_DIR      (run as root)
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
build=$(realpath "${1:?usage: package-test.sh BUILD_DIR}")
next_build=$build-pkg-next
cache=/var/cache/streamhost-package-test
jobs=${JOBS:-$(nproc)}
t0=$(date +%s)
phase() { echo "== [$(( $(date +%s) - t0 )) s] $*"; }
fail() { echo "package-test: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (chroot, unshare)"

# --- Packages N, lint ---
phase "packages N from $build"
make -s package BUILD="$build" >/dev/null
version=$(sed -n 's/^STREAMHOST_VERSION:STRING=//p' "$build/CMakeCache.txt")
next_version=${version%.*}.$(( ${version##*.} + 1 ))
deb_n=$(ls "$build"/packages/streamhost_"$version"_*.deb)
ls -la "$build"/packages/*.deb "$build"/packages/*.ddeb "$build"/packages/*.rpm

phase "lintian (fails on an error or a warning)"
lint_rc=0
lintian --fail-on error,warning "$build"/packages/*.deb "$build"/packages/*.ddeb >/tmp/streamhost-lintian.txt 2>&1 || lint_rc=$?
grep -v "running with root privileges" /tmp/streamhost-lintian.txt || echo "lintian: no tag"
[ "$lint_rc" -eq 0 ] || fail "lintian reports errors or warnings (above)"
phase "rpmlint (remaining findings are justified in packaging/rpm/streamhost.rpmlintrc)"
rpmlint -r packaging/rpm/streamhost.rpmlintrc "$build"/packages/*.rpm | tail -1
rpmlint -r packaging/rpm/streamhost.rpmlintrc "$build"/packages/*.rpm >/dev/null || fail "rpmlint reports errors"
for p in "$build"/packages/streamhost_*.deb; do
  file_out=$(dpkg-deb --fsys-tarfile "$p" | tar -xO ./usr/sbin/streamhostd | file -)
  [[ $file_out == *", stripped"* ]] || fail "streamhostd in $p is not stripped: $file_out"
done

# --- Package N+1 ---
phase "package N+1 ($next_version, one more store migration) in $next_build"
cmake -S . -B "$next_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTREAMHOST_WERROR=ON -DSTREAMHOST_BUILD_TESTS=OFF \
  -DSTREAMHOST_VERSION="$next_version" -DSTREAMHOST_TEST_SCHEMA_STEP=ON >/dev/null
cmake --build "$next_build" -j"$jobs" --target server package_scripts >/dev/null
rm -rf "$next_build/packages"
(cd "$next_build" && cpack -G DEB >/dev/null)
deb_next=$(ls "$next_build"/packages/streamhost_"$next_version"_*.deb)

# --- The Debian root ---
depends=$(dpkg-deb -f "$deb_n" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep -v '^$' | sort -u)
extra="curl init-system-helpers procps"
key=$(echo $depends $extra | sha256sum | cut -c1-16)
tarball=$cache/bookworm-$key.tar
mkdir -p "$cache"
if [ ! -f "$tarball" ]; then
  phase "mmdebstrap a Debian 12 root into $tarball (cached for the next runs)"
  rm -f "$cache"/bookworm-*.tar
  mmdebstrap --quiet --format=tar --variant=minbase --include="$(echo $depends $extra | tr ' ' ',')" bookworm "$tarball.tmp" \
    http://deb.debian.org/debian "deb http://deb.debian.org/debian-security bookworm-security main"
  mv "$tarball.tmp" "$tarball"
else
  phase "Debian 12 root from the cache: $tarball"
fi
root=$(mktemp -d /tmp/streamhost-pkgroot.XXXXXX)
cleanup() {
  umount -l "$root/proc" 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$tarball"
cp "$deb_n" "$root/tmp/streamhost-n.deb"
cp "$deb_next" "$root/tmp/streamhost-next.deb"
cp packaging/test/in-root.sh "$root/tmp/in-root.sh"

phase "install, first key, upgrade, downgrade, purge inside the root"
# A private network namespace (only loopback, so port 8080 is ours) and PID
# namespace (the daemon cannot outlive the test).
unshare --net --pid --fork --mount sh -c "
  ip link set lo up
  mount -t proc proc '$root/proc'
  exec chroot '$root' /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    VERSION_N='$version' VERSION_NEXT='$next_version' /bin/bash /tmp/in-root.sh
" || fail "the scenario in the Debian root failed (above)"

phase "package-test passed in $(( $(date +%s) - t0 )) s"
