#!/usr/bin/env zsh
# The zsh completion through zsh's own completion system, as an interactive shell runs it:
# an interactive zsh in a pseudo-terminal (zsh/zpty) with compinit and the completion on
# its fpath gets "autohost WORDS<Tab>" typed; a compadd wrapper records the words that
# match. Commands, plugins, actions and schedule ids come from the real autohost with a
# private HOME and store. Usage: check_completion_zsh.zsh COMPLETION_DIR AUTOHOST PLUGIN_DIR
emulate -L zsh
setopt no_unset pipe_fail
completion_dir=${1:A} bin=${2:A} plugins=${3:A} # absolute: HOME and the directory change
work=$(mktemp -d)
trap 'zpty -d shell 2>/dev/null; rm -rf "$work"' EXIT
for v in AUTOHOST_CONFIG AUTOHOST_STORE AUTOHOST_MASTER_KEY AUTOHOST_MASTER_KEY_FILE \
  AUTOHOST_LOG_LEVEL XDG_CONFIG_HOME XDG_STATE_HOME JOURNAL_STREAM; do
  unset $v
done
export HOME=$work AUTOHOST_STATE_DIR=$work/state AUTOHOST_PLUGIN_PATH=$plugins
matches=$work/matches
bindir=$work/bin
mkdir -p $bindir
ln -s $bin $bindir/autohost

# The shell under test: no user rc files, the completion from COMPLETION_DIR, and compadd
# wrapped to append each call's matching words to $matches as one line.
cat >$work/.zshrc <<RC
PS1='%# '
path=($bindir \$path)
fpath=($completion_dir \$fpath)
autoload -Uz compinit && compinit -u -d $work/.zcompdump
compadd() {
  local -a matched
  builtin compadd -O matched "\$@"
  print -r -- "\${(j: :)matched}" >>$matches
  builtin compadd "\$@"
}
RC
zmodload zsh/zpty
ZDOTDIR=$work zpty shell zsh -i
zpty -w shell 'print ready'
zpty -r -m shell out '*ready*'

# The words offered for LINE followed by Tab (all compadd calls of that completion), in
# $REPLY. Run in this shell, not a subshell: the pty is this shell's.
offered() {
  local junk
  : >$matches
  zpty -w -n shell "$1"$'\t'
  integer tries=0
  while [[ ! -s $matches ]] && ((tries++ < 100)); do sleep 0.05; done
  sleep 0.1 # the completion may call compadd more than once
  zpty -w -n shell $'\C-u'
  while zpty -r -t shell junk 2>/dev/null; do :; done # what the terminal echoed
  REPLY=${(j: :)${(o)${=$(<$matches)}}}
}
integer failures=0
expect() { # expect WANTED LINE: the completion offers exactly WANTED (space-separated)
  offered "$2"
  if [[ $REPLY != "$1" ]]; then
    print -u2 -r -- "$2<Tab>: wanted '$1', got '$REPLY'"
    ((++failures))
  fi
  return 0
}

expect "invoke" "autohost inv"                          # a command
expect "job jobs" "autohost jo"
expect "threads" "autohost actions "                    # a plugin
expect "threads" "autohost --log-level info jobs th"
expect "threads.post" "autohost invoke threads.po"      # an action
expect "--fail-on-attention" "autohost run --fa"        # a command's flag
expect "--plugin-dir" "autohost --plugin-d"             # a global flag
expect "debug" "autohost --log-level de"
expect "backup copy" "autohost store "                  # store's subcommands

# Schedule ids come from the store.
$bin schedule add threads.post --id morning-post --at 2099-01-01T09:00:00Z \
  --account alice --input '{"text":"hello"}' >/dev/null
$bin schedule add threads.post --id evening-post --at 2099-01-01T19:00:00Z \
  --account alice --input '{"text":"hello"}' >/dev/null
expect "morning-post" "autohost schedule show mo"
expect "evening-post morning-post" "autohost schedule pause "
expect "prune retry" "autohost runs "
expect "evening-post morning-post" "autohost runs --schedule "
# With no plugins on the path, --plugin-dir typed on the line is what finds the actions.
zpty -w shell 'unset AUTOHOST_PLUGIN_PATH'
expect "" "autohost invoke threads.po"
expect "threads.post" "autohost --plugin-dir $plugins invoke threads.po"

((failures == 0)) || exit 1
print "zsh completion: commands, flags, plugins, actions and schedule ids"
