#!/usr/bin/env bash
# The bash completion driven through bash's own `complete` machinery, as an interactive
# shell would: the function `complete -p autohost` names gets COMP_WORDS and COMP_CWORD and
# must fill COMPREPLY. Commands, plugins, actions and schedule ids come from the real
# autohost with a private HOME and store. Usage: check_completion.sh COMPLETION AUTOHOST PLUGIN_DIR
set -euo pipefail
completion=$1 bin=$2 plugins=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for v in AUTOHOST_CONFIG AUTOHOST_STORE AUTOHOST_MASTER_KEY AUTOHOST_MASTER_KEY_FILE \
  AUTOHOST_LOG_LEVEL XDG_CONFIG_HOME XDG_STATE_HOME JOURNAL_STREAM; do
  unset "$v"
done
export HOME=$work AUTOHOST_STATE_DIR=$work/state AUTOHOST_PLUGIN_PATH=$plugins

# shellcheck source=/dev/null
source "$completion"
spec=$(complete -p autohost) || { echo "the completion registers nothing for autohost" >&2; exit 1; }
function=$(sed -E 's/.*-F ([^ ]+).*/\1/' <<<"$spec")

# complete LINE...: COMPREPLY for the last word of the line (an empty last word: a space).
complete_line() {
  COMP_WORDS=("$bin" "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="${COMP_WORDS[*]}"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  "$function" autohost "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
  printf '%s\n' "${COMPREPLY[@]}"
}
failures=0
expect() { # expect "WANTED" LINE...: the completions are exactly WANTED (space-separated)
  local wanted=$1 got
  shift
  got=$(complete_line "$@" | sort | xargs)
  if [ "$got" != "$wanted" ]; then
    echo "autohost $*<TAB>: wanted '$wanted', got '$got'" >&2
    failures=$((failures + 1))
  fi
}
expect_some() { # expect_some WORD LINE...: WORD is among the completions
  local word=$1 got
  shift
  got=$(complete_line "$@") # whole, first: grep -q stopping early would SIGPIPE it
  if ! grep -qx -- "$word" <<<"$got"; then
    echo "autohost $*<TAB>: '$word' is not offered" >&2
    failures=$((failures + 1))
  fi
}

expect "invoke" inv                           # a command
expect "job jobs" jo
expect_some run ""
expect "threads" actions ""                   # a plugin
expect "threads" --log-level info jobs th
expect "threads.post" invoke threads.po       # an action
expect_some threads.register_app invoke threads.r
expect "--fail-on-attention" run --fa         # a command's flag
expect "--plugin-dir" --plugin-d              # a global flag
expect "debug" --log-level de
expect "backup copy" store ""                # store's subcommands, then files
expect "--json" store copy --js

# Schedule ids come from the store; with no plugins on the path, --plugin-dir typed on the
# line is what finds the actions.
"$bin" schedule add threads.post --id morning-post --at 2099-01-01T09:00:00Z \
  --account alice --input '{"text":"hello"}' >/dev/null
"$bin" schedule add threads.post --id evening-post --at 2099-01-01T19:00:00Z \
  --account alice --input '{"text":"hello"}' >/dev/null
expect "morning-post" schedule show mo
expect "evening-post morning-post" schedule pause ""
expect "evening-post morning-post" schedule edit ""
expect "prune retry" runs ""
expect "evening-post morning-post" runs --schedule ""
unset AUTOHOST_PLUGIN_PATH
expect "" invoke threads.po
expect "threads.post" --plugin-dir "$plugins" invoke threads.po

[ "$failures" -eq 0 ] || exit 1
echo "completion: commands, flags, plugins, actions and schedule ids"
