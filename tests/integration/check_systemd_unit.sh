#!/usr/bin/env bash
# The shipped unit (examples/systemd/autohost.service) as systemd reads it: `systemd-analyze
# verify` with ExecStart pointed at the built binary must print nothing (it exits 0 on an
# unknown key or a bad value, only warning), and the unit must say what the daemon supports:
# Type=notify, the watchdog, reload by SIGHUP, no core files, a syscall filter.
# Exits 77 (skipped) without systemd-analyze. Usage: check_systemd_unit.sh UNIT AUTOHOST
set -euo pipefail
unit=$1 bin=$2
fail() { echo "$*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed" >&2; exit 77; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
grep -q '^ExecStart=/usr/local/bin/autohost run' "$unit" || fail "$unit: no ExecStart=/usr/local/bin/autohost run"
sed "s|^ExecStart=/usr/local/bin/autohost |ExecStart=$bin |" "$unit" >"$dir/autohost.service"
out=$(systemd-analyze verify "$dir/autohost.service" 2>&1) || fail "systemd-analyze verify failed: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns about $unit: $out"

for line in 'Type=notify' 'NotifyAccess=main' 'WatchdogSec=30s' \
  'ExecReload=/bin/kill -HUP $MAINPID' 'LimitCORE=0' 'SystemCallFilter=@system-service' \
  'SystemCallFilter=~@privileged @resources' 'NoNewPrivileges=yes' 'ProtectSystem=strict'; do
  grep -qxF "$line" "$unit" || fail "$unit: no line '$line'"
done
# The config is found without AUTOHOST_CONFIG (which would make the file required).
if grep -q '^Environment=AUTOHOST_CONFIG' "$unit"; then fail "$unit sets AUTOHOST_CONFIG"; fi
echo "ok: $unit"
