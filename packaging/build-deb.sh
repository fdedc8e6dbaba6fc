#!/usr/bin/env bash
# Builds the Debian packages (autohost, autohost-dev and their -dbgsym) with
# dpkg-buildpackage from a copy of this tree, then checks them with lintian.
#   packaging/build-deb.sh [OUT]     the .deb files end up in OUT (default: build-deb/)
# The copy lives in OUT/src; debian/rules compiles with the project's own flags, so ccache
# serves the compiler runs of any other build of this tree.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/build-deb}" && cd "${1:-$root/build-deb}" && pwd)

bash "$root/examples/install-deps.sh" debhelper dpkg-dev fakeroot lintian

# Only the files git knows (what a release would hold), with their working-tree contents.
rm -rf "$out/src" && mkdir -p "$out/src"
git -C "$root" ls-files -z --cached --others --exclude-standard |
  (cd "$root" && xargs -0 cp --parents -t "$out/src")
# debhelper gives the build an empty HOME; ccache must still find the machine's cache.
export CCACHE_DIR=${CCACHE_DIR:-$(ccache -k cache_dir 2>/dev/null || echo "$HOME/.cache/ccache")}
rm -f "$out"/*.deb "$out"/*.ddeb "$out"/*.changes "$out"/*.buildinfo

echo "building the packages in $out/src (log: $out/build.log)" >&2
if ! (cd "$out/src" && DEB_BUILD_OPTIONS="parallel=${JOBS:-2} ${DEB_BUILD_OPTIONS:-}" \
  dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
  tail -n 60 "$out/build.log" >&2
  echo "dpkg-buildpackage failed; the whole log is in $out/build.log" >&2
  exit 1
fi
# dpkg-buildpackage writes next to the tree it builds, which is OUT.
ls "$out"/*.deb

# Errors fail the build; warnings and notes are printed for the reader.
changes=$(ls "$out"/autohost_*.changes)
lintian --fail-on error --info "$changes" | tee "$out/lintian.txt"
