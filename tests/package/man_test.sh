#!/bin/bash
# The man page made by help2man documents every long option `fsrelay --help` prints and has the sections
# of dist/man/fsrelay.h2m; it renders with man.  Usage: man_test.sh FSRELAY_BINARY MAN_PAGE
source "$(dirname "$0")/common.sh"
bin=$1 page=$2
if [[ ! -f $page ]]; then
  command -v help2man >/dev/null && fail "$page is missing although help2man is installed"
  skip "no help2man at configure time, so no man page"
fi
make_tmp
# help2man escapes '-' as '\-' in the roff source.
sed 's/\\-/-/g' "$page" > "$TMP/page" || fail "reading $page"
options=$(help_long_options "$bin")
[[ $(wc -l <<<"$options") -ge 8 ]] || fail "fewer long options than expected in --help: $options"
for opt in $options; do
  grep -q -- "$opt\b" "$TMP/page" || fail "man page lacks $opt (printed by fsrelay --help)"
done
for opt in $(help_short_options "$bin"); do
  grep -q -- "$opt\b" "$TMP/page" || fail "man page lacks $opt"
done
version=$("$bin" --version | head -1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
grep -q "^\.TH FSRELAY \"1\".*$version" "$TMP/page" || fail "man page header lacks version $version: $(grep '^\.TH' "$TMP/page")"
MANWIDTH=120 man --nh --nj -l "$page" > "$TMP/rendered" 2>"$TMP/err" || fail "man -l $page: $(cat "$TMP/err")"
for section in NAME SYNOPSIS DESCRIPTION FILES "EXIT STATUS" "SEE ALSO"; do
  grep -q "^$section" "$TMP/rendered" || fail "rendered man page has no $section section"
done
grep -q "/etc/fsrelay/NAME.xml" "$TMP/rendered" || fail "FILES section from fsrelay.h2m is missing"
[[ -f $page.gz ]] && cmp -s "$page" <(gunzip -c "$page.gz") || fail "$page.gz (installed) differs from $page"
echo "ok: man page covers $(wc -l <<<"$options") long options"
