#!/usr/bin/env bash
# The demo: builds autohost, then lists plugins and actions, stores and reads a secret and
# invokes an action - in a throw-away state directory, with no input from the user.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
BUILD_DIR=$build bash "$root/examples/build.sh"

state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
export AUTOHOST_STATE_DIR=$state AUTOHOST_PLUGIN_PATH=$build/plugin
autohost() { "$build/host/autohost" "$@"; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step autohost plugins
autohost plugins
step autohost actions threads
autohost actions threads
step "echo -n 'TH-demo-token' | autohost secrets set threads/accounts/demo/token"
echo -n 'TH-demo-token' | autohost secrets set threads/accounts/demo/token
step autohost secrets get threads/accounts/demo/token
autohost secrets get threads/accounts/demo/token
step autohost secrets get threads/accounts/demo/token --reveal
autohost secrets get threads/accounts/demo/token --reveal
step autohost secrets list
autohost secrets list
step "autohost invoke threads.info"
autohost invoke threads.info
step "autohost invoke threads.nope   # errors are JSON on stderr with an exit code per status"
set +e
autohost invoke threads.nope
echo "exit code: $?"
set -e
step "ls -l \$AUTOHOST_STATE_DIR   # the store and its 0600 master key"
ls -l "$state"
