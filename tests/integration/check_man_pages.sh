#!/usr/bin/env bash
# The man pages built from autohost's help: one per command autohost lists, each rendering
# with man(1) and naming its command and every flag its help lists; autohost(1) names them
# all. Usage: check_man_pages.sh AUTOHOST MAN_DIR
set -euo pipefail
bin=$1 dir=$2
fail() { echo "$*" >&2; exit 1; }
render() { MANWIDTH=200 man -l "$1" 2>/dev/null | col -b; }

commands=$("$bin" help --commands | cut -f1)
[ -n "$commands" ] || fail "autohost help --commands listed nothing"
main=$(render "$dir/autohost.1")
grep -q '^NAME' <<<"$main" || fail "autohost.1 does not render: $main"
for c in $commands; do
  page=$dir/autohost-$c.1
  [ -f "$page" ] || fail "autohost lists the command '$c' but $page was not built"
  text=$(render "$page")
  summary=$("$bin" help --commands | awk -F '\t' -v c="$c" '$1 == c { print $2 }')
  grep -qF "autohost-$c - $summary" <<<"$text" || fail "autohost-$c.1 has no NAME line: $text"
  grep -qF "usage: autohost $c" <<<"$text" || fail "autohost-$c.1 has no usage: $text"
  for flag in $("$bin" help "$c" | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
    grep -qF -- "$flag" <<<"$text" || fail "autohost-$c.1 does not mention $flag"
  done
  grep -qF "autohost-$c(1)" <<<"$main" || fail "autohost.1 does not refer to autohost-$c(1)"
  grep -qE "^ +$c( |$)" <<<"$main" || fail "autohost.1 does not list the command $c"
done
echo "man pages: $(wc -w <<<"$commands") commands, each with its page"
