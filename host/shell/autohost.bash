# bash completion for autohost: commands and flags from autohost's own help; plugins,
# actions, jobs and schedule ids from autohost itself, asked with the global flags already
# on the line (so --plugin-dir, --store and --config are honoured). No bash-completion
# helpers are needed. Installed as share/bash-completion/completions/autohost.

# Runs the autohost being completed with the global flags typed so far; errors are hidden.
_autohost_ask() {
  "${_autohost_bin}" "${_autohost_globals[@]}" "$@" 2>/dev/null
}

# The first column of a table that has a header row.
_autohost_first_column() {
  _autohost_ask "$@" | awk 'NR > 1 && $1 != "" { print $1 }'
}

# PLUGIN.NAME lines of `autohost actions` or `autohost jobs` (details are indented).
_autohost_targets() {
  _autohost_ask "$1" | awk '/^[^ \t]/ { print $1 }'
}

_autohost() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local _autohost_bin=${COMP_WORDS[0]}
  local -a _autohost_globals=() args=()
  local command="" i=1 word
  COMPREPLY=()

  # Global flags before the command, then the command, then its words.
  while ((i < COMP_CWORD)); do
    word=${COMP_WORDS[i]}
    if [[ -z $command ]]; then
      case $word in
      --plugin | --plugin-dir | --store | --config | --log-level)
        _autohost_globals+=("$word" "${COMP_WORDS[i + 1]}")
        ((i += 2))
        continue
        ;;
      --json) ;; # the asks below read tables, not JSON
      -*) _autohost_globals+=("$word") ;;
      *) command=$word ;;
      esac
    else
      args+=("$word")
    fi
    ((i++))
  done

  case $prev in
  --plugin | --store | --config | --input-file | --file)
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return
    ;;
  --plugin-dir)
    mapfile -t COMPREPLY < <(compgen -d -- "$cur")
    return
    ;;
  --log-level)
    mapfile -t COMPREPLY < <(compgen -W "debug info warn error" -- "$cur")
    return
    ;;
  --schedule)
    mapfile -t COMPREPLY < <(compgen -W "$(_autohost_first_column schedule list)" -- "$cur")
    return
    ;;
  esac

  local words=""
  if [[ -z $command ]]; then
    if [[ $cur == -* ]]; then
      words=$(_autohost_ask --help | grep -oE -- '--[a-z-]+' | sort -u)
    else
      words="help $(_autohost_ask help --commands | cut -f1)"
    fi
  elif [[ $cur == -* ]]; then
    # The flags the command's help lists (of its subcommand, when one is typed).
    words=$(_autohost_ask help "$command" "${args[@]:0:1}" | grep -oE -- '--[a-z-]+' | sort -u)
  else
    local sub=${args[0]-}
    case $command:${#args[@]} in
    help:0) words=$(_autohost_ask help --commands | cut -f1) ;;
    actions:0 | jobs:0) words=$(_autohost_first_column plugins) ;;
    invoke:0) words=$(_autohost_targets actions) ;;
    job:0) words=$(_autohost_targets jobs) ;;
    runs:0) words="retry prune $(_autohost_first_column runs)" ;;
    runs:1) [[ $sub == retry ]] && words=$(_autohost_first_column runs) ;;
    secrets:0) words="set get list rm" ;;
    store:0) words="copy backup" ;;
    store:1 | store:2) mapfile -t COMPREPLY < <(compgen -f -- "$cur") && return ;;
    schedule:0) words="add list show edit rm pause resume import" ;;
    schedule:1)
      case $sub in
      add) words="$(_autohost_targets actions) $(_autohost_targets jobs)" ;;
      show | edit | rm | pause | resume) words=$(_autohost_first_column schedule list) ;;
      import) mapfile -t COMPREPLY < <(compgen -f -- "$cur") && return ;;
      esac
      ;;
    esac
  fi
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}

complete -F _autohost autohost
