#!/usr/bin/env bash
# Finishes what CPack leaves rough in the debug symbols package, the way
# debhelper builds one: md5sums with paths relative to the root (CPack 3.25
# writes absolute build paths), and /usr/share/doc/streamhost-dbgsym as a
# symlink to the streamhost doc dir (copyright and changelog), which its
# exact-version Depends on streamhost makes valid.
# Usage: finish-packages.sh PACKAGE_DIR
set -euo pipefail
dir=${1:?usage: finish-packages.sh PACKAGE_DIR}
for ddeb in "$dir"/*-dbgsym_*.ddeb; do
  [ -e "$ddeb" ] || continue
  work=$(mktemp -d)
  dpkg-deb -R "$ddeb" "$work/root"
  mkdir -p "$work/root/usr/share/doc"
  ln -sfn streamhost "$work/root/usr/share/doc/streamhost-dbgsym"
  (cd "$work/root" && find usr -type f -print0 | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
  # Debug files need no execute bit (lintian: executable-not-elf-or-script).
  find "$work/root/usr/lib/debug" -type f -exec chmod 0644 {} +
  dpkg-deb --root-owner-group -Zgzip --build "$work/root" "$ddeb" >/dev/null
  rm -rf "$work"
done
