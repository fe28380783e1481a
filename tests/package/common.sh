# Shared by the tests/package scripts: failing with a message, a temp folder removed on exit, skipping.
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }  # ctest SKIP_RETURN_CODE
make_tmp() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/fsrelay-package-test.XXXXXX") || fail "mktemp"
  trap 'rm -rf "$TMP"' EXIT
}
# Every long option `fsrelay --help` prints, one a line: the lists other files must keep up with.
help_long_options() { "$1" --help | grep -o -- '--[a-z][a-z-]*' | sort -u; }
help_short_options() { "$1" --help | grep -oE '^ +-[a-zA-Z]\b' | tr -d ' ' | sort -u; }
