#!/usr/bin/env bash
# Configures (once) and builds autohost in BUILD_DIR (default: build) after installing deps.
# Extra arguments go to `meson setup`, e.g. -Db_sanitize=address,undefined.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
bash "$root/examples/install-deps.sh"
mkdir -p "$build"
log="$build/build.log"
fail() {
  tail -n 60 "$log" >&2
  echo "$1 failed; the whole log is in $log" >&2
  exit 1
}
if [ ! -f "$build/build.ninja" ]; then
  echo "configuring $build" >&2
  meson setup "$build" "$root" "$@" >"$log" 2>&1 || fail "meson setup"
fi
echo "building in $build" >&2
ninja -C "$build" -j"$(nproc)" >"$log" 2>&1 || fail "the build"
