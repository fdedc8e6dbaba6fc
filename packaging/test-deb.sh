#!/usr/bin/env bash
# Installs the packages packaging/build-deb.sh made into a clean Debian 12 root (mmdebstrap
# from the Debian archive) and checks what an operator gets: the files in their places,
# stripped with their debug symbols in -dbgsym, the system user, the conffile, the master
# key, the enabled unit; then runs `autohost --version`, `autohost plugins` and invokes
# threads.post there against the sandbox from the build tree, on loopback.
#   packaging/test-deb.sh [DEBS_DIR] [BUILD_DIR]    (defaults: build-deb/ and build/; root only)
# TEST_DEB_KEEP=1 keeps the root of a failed run for a look inside; TEST_DEB_ROOT=DIR checks
# such a root again (the packages already installed) instead of making a new one.
set -euo pipefail
trap 'echo "test-deb: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
root=$(cd "$(dirname "$0")/.." && pwd)
debs=$(cd "${1:-$root/build-deb}" && pwd)
build=$(cd "${2:-$root/build}" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
fail() {
  echo "test-deb: $*" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || fail "needs root (it builds a chroot)"
sandbox_exe=$build/tests/sandbox/threads-sandbox
[ -x "$sandbox_exe" ] || fail "no sandbox at $sandbox_exe: build the tree first (examples/build.sh)"
version=$(cd "$root" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
package=$debs/autohost_${version}_$arch.deb
dev_package=$debs/autohost-dev_${version}_$arch.deb
dbgsym_package=$debs/autohost-dbgsym_${version}_$arch.deb
for f in "$package" "$dev_package" "$dbgsym_package"; do
  [ -f "$f" ] || fail "$f is missing: run packaging/build-deb.sh first"
done
bash "$root/examples/install-deps.sh" mmdebstrap curl

work=$(mktemp -d /var/tmp/autohost-deb-test.XXXXXX)
chroot_dir=${TEST_DEB_ROOT:-$work/root}
sandbox_pid=""
cleanup() {
  local status=$?
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
  for m in dev/pts dev proc; do
    if mountpoint -q "$chroot_dir/$m"; then umount "$chroot_dir/$m"; fi
  done
  if [ "$status" -ne 0 ] && [ -n "${TEST_DEB_KEEP:-}" ]; then
    echo "test-deb: kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

[ -n "${TEST_DEB_ROOT:-}" ] ||
  echo "test-deb: installing the packages into a clean Debian 12 root ($chroot_dir)" >&2
[ -n "${TEST_DEB_ROOT:-}" ] || mmdebstrap --quiet --mode=root --variant=apt --include=pkgconf \
  --customize-hook="copy-in $package $dev_package /tmp" \
  --customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends /tmp/${package##*/} /tmp/${dev_package##*/} >/dev/null" \
  bookworm "$chroot_dir" "$mirror" >"$work/mmdebstrap.log" 2>&1 ||
  { tail -n 40 "$work/mmdebstrap.log" >&2; fail "mmdebstrap or installing the packages failed"; }
mount -t proc proc "$chroot_dir/proc"
mount --bind /dev "$chroot_dir/dev"
mount --bind /dev/pts "$chroot_dir/dev/pts"
in_root() { timeout 60 chroot "$chroot_dir" "$@"; }

# The files, each where Debian and autohost look for it.
plugindir=$(in_root pkg-config --variable=plugindir autohost)
for f in /usr/bin/autohost "$plugindir/threads.so" /usr/include/autohost/abi.h \
  /usr/include/autohost/host.hpp /usr/share/bash-completion/completions/autohost \
  /usr/share/zsh/vendor-completions/_autohost \
  /usr/share/doc/autohost/copyright /lib/systemd/system/autohost.service \
  /usr/lib/sysusers.d/autohost.conf; do
  [ -f "$chroot_dir$f" ] || fail "$f is not installed"
done
for c in "" $(in_root autohost help --commands | cut -f1); do
  page=/usr/share/man/man1/autohost${c:+-$c}.1.gz
  [ -f "$chroot_dir$page" ] || fail "man page $page is not installed"
done

# Stripped, and the debug symbols of both ELF files are in -dbgsym under their build ids.
dpkg-deb -c "$dbgsym_package" >"$work/dbgsym.list"
for f in /usr/bin/autohost "$plugindir/threads.so"; do
  sections=$(readelf -S "$chroot_dir$f")
  grep -q '\.debug_info' <<<"$sections" && fail "$f still carries debug info"
  id=$(readelf -n "$chroot_dir$f" | awk '/Build ID:/ { print $3 }')
  [ -n "$id" ] || fail "$f has no build id"
  grep -q "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug$" "$work/dbgsym.list" ||
    fail "autohost-dbgsym has no debug file for $f (build id $id)"
done

# The system user from sysusers.d, the master key it owns, the conffile, the enabled unit.
user=$(in_root getent passwd autohost) || fail "there is no system user autohost"
grep -q '^autohost:x:[0-9]*:[0-9]*:.*:/var/lib/autohost:/usr/sbin/nologin$' <<<"$user" ||
  fail "the user autohost has not home /var/lib/autohost and shell nologin: $user"
key=$(in_root stat -c '%U:%G %a' /etc/autohost/master.key)
[ "$key" = "autohost:autohost 600" ] || fail "/etc/autohost/master.key is $key, not autohost:autohost 600"
grep -qxE '[0-9a-f]{64}' "$chroot_dir/etc/autohost/master.key" ||
  fail "/etc/autohost/master.key is not 64 hex digits"
conffiles=$(in_root dpkg-query -W -f='${Conffiles}\n' autohost)
grep -q '^ /etc/autohost/config.json ' <<<"$conffiles" ||
  fail "/etc/autohost/config.json is not a conffile"
unit=$chroot_dir/lib/systemd/system/autohost.service
grep -q '^ExecStart=/usr/bin/autohost run' "$unit" || fail "the unit does not start /usr/bin/autohost"
grep -q '^StateDirectory=autohost$' "$unit" || fail "the unit has no StateDirectory=autohost"
grep -q '^User=autohost$' "$unit" || fail "the unit does not run as autohost"
[ -L "$chroot_dir/etc/systemd/system/multi-user.target.wants/autohost.service" ] ||
  fail "autohost.service is not enabled"

# The programs: the version, the plugin found in the package's plugin dir with no setting,
# and a post published to the sandbox (on this machine's loopback) with the shipped config's
# settings plus the sandbox's URLs.
out=$(in_root autohost --version) || fail "autohost --version failed"
grep -q "^autohost $version " <<<"$out" || fail "autohost --version does not say $version: $out"
out=$(in_root autohost plugins) || fail "autohost plugins failed"
grep -q "^threads .*$plugindir/threads.so$" <<<"$out" ||
  fail "autohost plugins does not list the installed plugin: $out"
"$sandbox_exe" --state-dir "$work/sandbox" >"$work/ready" &
sandbox_pid=$!
for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.1; done
base_url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["base_url"])' "$work/ready")
cp "$work/sandbox/ca.pem" "$chroot_dir/tmp/sandbox-ca.pem"
python3 - "$chroot_dir/etc/autohost/config.json" "$base_url" >"$chroot_dir/tmp/config.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["plugins"]["threads"].update(graph_base_url=sys.argv[2], oauth_base_url=sys.argv[2],
                                    ca_file="/tmp/sandbox-ca.pem")
print(json.dumps(config))
PY
token=$(curl -sS --cacert "$work/sandbox/ca.pem" -X POST "$base_url/__sandbox/tokens" \
  -d '{"kind": "long"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
rm -rf "$chroot_dir/tmp/state" # a fresh store, also when TEST_DEB_ROOT is checked again
ah() { in_root env AUTOHOST_STATE_DIR=/tmp/state AUTOHOST_CONFIG=/tmp/config.json autohost "$@"; }
ah invoke threads.import_token --input-file - >/dev/null <<<"{\"account\": \"deb\", \"access_token\": \"$token\"}" ||
  fail "threads.import_token failed"
post=$(ah invoke threads.post --account deb --input '{"text": "Hello from the Debian package"}') ||
  fail "threads.post failed"
id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$post")
curl -sS --cacert "$work/sandbox/ca.pem" "$base_url/__sandbox/posts" | python3 -c '
import json, sys
posts = [p for p in json.load(sys.stdin)["posts"] if p.get("id") == sys.argv[1]]
sys.exit(0 if posts and posts[0].get("text") == "Hello from the Debian package" else 1)' "$id" ||
  fail "the sandbox has no post $id with the text sent"
echo "test-deb: ok (autohost $version installed on Debian 12; post $id published to the sandbox)"
