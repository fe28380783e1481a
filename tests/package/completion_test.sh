#!/bin/bash
# The bash completion, sourced and driven as bash drives it (COMP_WORDS, COMP_CWORD, then the function
# `complete -p fsrelay` names): offers every option `fsrelay --help` prints, `status` first, the values of
# --log-level and --log-format, .xml files for -o, folders for --plugin-dir.
# Usage: completion_test.sh FSRELAY_BINARY COMPLETION_SCRIPT
source "$(dirname "$0")/common.sh"
bin=$1 script=$2
make_tmp
source "$script" || fail "sourcing $script"
func=$(complete -p fsrelay | grep -oE -- '-F [^ ]+' | cut -d' ' -f2)
[[ -n $func ]] || fail "$script registers no completion function for fsrelay"

# complete_words LINE: completes `fsrelay LINE` with the cursor at its end (a trailing space starts an empty
# word); prints the offers, one a line, sorted.
complete_words() {
  local -a words
  read -ra words <<<"$1"
  [[ -z $1 || $1 == *" " ]] && words+=("")
  COMP_WORDS=(fsrelay "${words[@]}")
  COMP_CWORD=${#words[@]}
  COMP_LINE="${COMP_WORDS[*]}"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  "$func" fsrelay "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
  printf '%s\n' "${COMPREPLY[@]}" | sort
}
expect() {  # expect LINE EXPECTED (newline-separated, sorted)
  local got; got=$(complete_words "$1")
  [[ $got == "$2" ]] || fail "fsrelay $1<TAB> offered [${got//$'\n'/ }], expected [${2//$'\n'/ }]"
}
offers() {  # offers LINE ITEM...: each ITEM is among the offers
  local words=$1; shift
  local got; got=$(complete_words "$words")
  for item in "$@"; do grep -qxF -- "$item" <<<"$got" || fail "fsrelay $words<TAB> does not offer $item"; done
}

options=$(help_long_options "$bin")
[[ $(wc -l <<<"$options") -ge 8 ]] || fail "fewer long options than expected in --help: $options"
offers "--" $options
offers "-dr --" $options
offers "-" $(help_short_options "$bin")
offers "" status --help
expect "st" "status"
expect "-o x.xml status" ""           # status is a command only in first place
offers "status --" --json --help
expect "--log-level " "$(printf '%s\n' debug error info warn)"
expect "--log-level i" "info"
expect "--log-level = d" "debug"      # --log-level=d, split at '=' by bash
expect "--log-format " "$(printf '%s\n' json text)"

mkdir -p "$TMP/conf/sub dir" && touch "$TMP/conf/a.xml" "$TMP/conf/my site.XML" "$TMP/conf/notes.txt" || fail "files"
expect "-o $TMP/conf/" "$(printf '%s\n' "$TMP/conf/a.xml" "$TMP/conf/my site.XML" "$TMP/conf/sub dir" | sort)"
expect "-dro $TMP/conf/a" "$TMP/conf/a.xml"
expect "--plugin-dir $TMP/conf/" "$TMP/conf/sub dir"
expect "--log-file $TMP/conf/n" "$TMP/conf/notes.txt"
echo "ok: completion offers $(wc -l <<<"$options") long options, status and option values"
