#!/usr/bin/env bash
# Installs the project into a temporary prefix, builds both example hosts against it through
# pkg-config only (no source tree include paths), and runs them on the installed plugin.
set -euo pipefail
build=$1
examples=$2
license=$3 # the licence meson's project() declares
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

meson install -C "$build" --no-rebuild --quiet --destdir "$stage" >/dev/null
prefix=$(meson introspect "$build" --buildoptions | python3 -c \
  'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
root="$stage$prefix"
pcfile=$(find "$root" -name autohost.pc | head -n1)
[ -n "$pcfile" ] || { echo "autohost.pc was not installed under $root" >&2; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pcfile")
pc() { pkg-config --define-variable=prefix="$root" "$@" autohost; }

plugin="$(pc --variable=plugindir)/threads.so"
[ -f "$plugin" ] || { echo "the plugin is not in plugindir: $plugin" >&2; exit 1; }
[ -x "$root/bin/autohost" ] || { echo "autohost was not installed to $root/bin" >&2; exit 1; }
# The licence file is installed and is the licence meson declares.
head -n1 "$root/share/doc/autohost/LICENSE" | grep -qx "$license License" ||
  { echo "share/doc/autohost/LICENSE is not the $license licence meson declares" >&2; exit 1; }
# The man pages (one per command) and the bash completion are installed.
for c in "" $("$root/bin/autohost" help --commands | cut -f1); do
  page=$root/share/man/man1/autohost${c:+-$c}.1
  [ -f "$page" ] || { echo "man page $page was not installed" >&2; exit 1; }
done
[ -f "$root/share/bash-completion/completions/autohost" ] ||
  { echo "the bash completion was not installed" >&2; exit 1; }
for h in abi.h host.hpp plugin.hpp result.hpp; do
  [ -f "$root/include/autohost/$h" ] || { echo "header $h was not installed" >&2; exit 1; }
done

c++ -std=c++20 -Wall -Wextra -Werror $(pc --cflags) "$examples/host_cpp/minimal_host.cpp" \
  -o "$stage/cpp_host" $(pc --libs)
cc -std=c11 -Wall -Wextra -Werror $(pc --cflags) "$examples/host_c/minimal_host.c" \
  -o "$stage/c_host" $(pc --libs)

for host in cpp_host c_host; do
  out=$("$stage/$host" "$plugin" info)
  grep -q '^loaded threads ' <<<"$out" || { echo "$host did not load the plugin: $out" >&2; exit 1; }
  grep -q '"name":"info"' <<<"$out" || { echo "$host printed no manifest: $out" >&2; exit 1; }
  grep -q '^result: {"plugin":"threads"' <<<"$out" || { echo "$host: no result: $out" >&2; exit 1; }
  echo "$host: ok"
done

# The installed CLI finds the installed plugin by itself when told the prefix's plugin dir.
"$root/bin/autohost" --plugin-dir "$(pc --variable=plugindir)" plugins | grep -q '^threads'
echo "installed autohost lists the installed plugin"
