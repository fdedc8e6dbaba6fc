#!/usr/bin/env bash
# A command on the SQLite store loads neither libpq nor libsystemd (they cost milliseconds of
# every start); a PostgreSQL store location still loads libpq, on demand, and uses it. The
# daemon loads libsystemd only with a notify socket to talk to (NOTIFY_SOCKET).
set -euo pipefail
autohost=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -m 700 "$work/state"
echo '{}' >"$work/config.json"
export HOME=$work AUTOHOST_STATE_DIR=$work/state AUTOHOST_CONFIG=$work/config.json
export AUTOHOST_MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
unset AUTOHOST_STORE

# ld.so names every library it loads (LD_DEBUG=files), linked or dlopen'ed.
loaded() { grep -o 'file=lib[a-z0-9_.+-]*' "$1" | sort -u; }
# What the command itself wrote, without ld.so's lines.
said() { grep -v '^ *[0-9]*:' "$@" || true; }

LD_DEBUG=files "$autohost" secrets list >"$work/out" 2>"$work/sqlite.log" ||
  { echo "secrets list on SQLite failed:"; said "$work/out" "$work/sqlite.log"; exit 1; } >&2
loaded "$work/sqlite.log" | grep -q 'file=libsqlite3' ||
  { echo "LD_DEBUG=files named no libsqlite3: the check below would prove nothing" >&2; exit 1; }
if loaded "$work/sqlite.log" | grep -E 'file=lib(pq|systemd)\.'; then
  echo "a command on the SQLite store loaded the libraries above" >&2
  exit 1
fi

# The daemon, not started by systemd: no notify socket, so no libsystemd (and not the
# compression and crypto libraries behind it); with one, libsystemd is loaded (the messages
# themselves are checked by integration/systemd).
LD_DEBUG=files "$autohost" run --once >"$work/out" 2>"$work/run.log" ||
  { echo "run --once failed:"; said "$work/out" "$work/run.log"; exit 1; } >&2
if loaded "$work/run.log" | grep -E 'file=libsystemd\.'; then
  echo "the daemon loaded libsystemd without NOTIFY_SOCKET" >&2
  exit 1
fi
NOTIFY_SOCKET=$work/notify LD_DEBUG=files "$autohost" run --once >"$work/out" 2>"$work/run.log" ||
  { echo "run --once with NOTIFY_SOCKET failed:"; said "$work/out" "$work/run.log"; exit 1; } >&2
loaded "$work/run.log" | grep -q 'file=libsystemd\.' ||
  { echo "the daemon did not load libsystemd with NOTIFY_SOCKET set" >&2; exit 1; }

# libpq parses the URL, so its complaint proves it was loaded and called.
if AUTOHOST_STORE='postgresql://db/x?bogus_option=1' LD_DEBUG=files "$autohost" secrets list \
  >"$work/out" 2>"$work/pg.log"; then
  echo "a malformed PostgreSQL URL was accepted" >&2
  exit 1
fi
grep -q 'is not a valid URL' "$work/out" "$work/pg.log" ||
  { echo "no URL error from libpq:"; said "$work/out" "$work/pg.log"; exit 1; } >&2
loaded "$work/pg.log" | grep -q 'file=libpq\.so' ||
  { echo "the PostgreSQL URL was checked without loading libpq" >&2; exit 1; }
echo "SQLite: no libpq, no libsystemd; the daemon: libsystemd only with NOTIFY_SOCKET;" \
  "PostgreSQL: libpq loaded on demand"
