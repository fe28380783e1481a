#!/bin/sh
# What help2man runs instead of fsrelay: the binary's own --help/--version ($FSRELAY_BIN). Kept as a hook
# for layout fixes help2man may need; usageText() is written so that none are needed today (a second usage
# line starts with "or:", and an option is split from its text by two or more spaces).
exec "$FSRELAY_BIN" "$@"
