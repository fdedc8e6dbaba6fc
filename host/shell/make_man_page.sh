#!/bin/sh
# Writes one man page with help2man from autohost's own help, the single source of both:
#   make_man_page.sh AUTOHOST VERSION OUT            autohost(1), naming every command
#   make_man_page.sh AUTOHOST VERSION OUT COMMAND    autohost-COMMAND(1)
set -eu
# In a sanitizer build this runs the instrumented binary as a build step: leaks are the
# tests' business (they run with detect_leaks=1), not a reason to fail building a page.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
bin=$1 version=$2 out=$3 command=${4-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# help2man names the page after the program it runs, so autohost-COMMAND is a wrapper.
page=autohost${command:+-$command}
printf '#!/bin/sh\nexec "%s" "$@"\n' "$bin" >"$work/$page"
chmod +x "$work/$page"

if [ -z "$command" ]; then
  name="a plugin host for scheduled and scripted automation"
  help="--help"
  {
    echo "[SEE ALSO]"
    "$bin" help --commands | cut -f1 | sed 's/.*/.BR \\%autohost-& (1),/' | sed '$ s/,$//'
  } >"$work/include"
else
  name=$("$bin" help --commands | awk -F '\t' -v c="$command" '$1 == c { print $2 }')
  [ -n "$name" ] || { echo "autohost has no command '$command'" >&2; exit 1; }
  help="help $command"
  printf '[SEE ALSO]\n.BR autohost (1)\n' >"$work/include"
fi

help2man --no-info --no-discard-stderr --section=1 --version-string="$version" \
  --name="$name" --help-option="$help" --include="$work/include" \
  --output="$out" "$work/$page"
