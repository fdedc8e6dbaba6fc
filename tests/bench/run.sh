#!/usr/bin/env bash
# The benchmarks, on demand (not in CI): installs wrk, curl, GNU time, python3-requests,
# openssl and ca-certificates when missing, builds a release tree in build-bench, and prints
# the table of run.py.
#   bash tests/bench/run.sh [run.py options, e.g. --only reads,sweep --accounts 2000]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/examples/install-deps.sh"
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
[ -x /usr/bin/time ] || missing+=(time)
/usr/bin/python3 -c 'import requests' 2>/dev/null || missing+=(python3-requests)
# The system-CA-store row: the system's hashed directory and bundle, and `openssl x509` for
# the sandbox CA's hashed name.
command -v openssl >/dev/null || missing+=(openssl)
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
build="$root/build-bench"
# The release configuration, as the Debian package is built (link-time optimisation).
if [ -f "$build/build.ninja" ]; then
  meson configure "$build" -Dbuildtype=release -Db_lto=true >/dev/null
else
  meson setup "$build" "$root" -Dbuildtype=release -Db_lto=true >/dev/null
fi
ninja -C "$build" host/autohost plugin/threads.so tests/sandbox/threads-sandbox \
  tests/support/pg-cluster-hold \
  tests/bench/autohost-bench tests/bench/beast-client tests/bench/durable-refresh >/dev/null
exec /usr/bin/python3 "$root/tests/bench/run.py" --build "$build" "$@"
