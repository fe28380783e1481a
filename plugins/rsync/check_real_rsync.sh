#!/usr/bin/env bash
# Checks the rsync facts the plugin's argv relies on against the installed rsync and a throwaway daemon.
# Usage: plugins/rsync/check_real_rsync.sh [rsync-binary]   (listens on 127.0.0.1 only; exit 0 = all facts hold)
set -u
RSYNC=${1:-rsync}
T=$(mktemp -d)
DPID=
cleanup() {
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  mountpoint -q "$T/full" 2>/dev/null && umount -l "$T/full"
  rm -rf "$T"
}
trap cleanup EXIT
FAILS=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; FAILS=$((FAILS + 1)); fi; }

mkdir "$T/src" "$T/dst"
echo 'u:pw' > "$T/secrets"; echo pw > "$T/pw"; chmod 600 "$T/secrets" "$T/pw"
{
  echo "pid file = $T/pid"; echo "use chroot = no"
  [ "$(id -u)" = 0 ] && { echo "uid = root"; echo "gid = root"; }
  echo "[m]"; echo "path = $T/dst"; echo "read only = false"; echo "auth users = u"; echo "secrets file = $T/secrets"
  echo "[full]"; echo "path = $T/full"; echo "read only = false"; echo "auth users = u"; echo "secrets file = $T/secrets"
} > "$T/rsyncd.conf"
mkdir "$T/full"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$RSYNC" --daemon --no-detach --config="$T/rsyncd.conf" --address=127.0.0.1 --port="$PORT" &
DPID=$!
for _ in $(seq 50); do "$RSYNC" --port="$PORT" --password-file="$T/pw" u@127.0.0.1::m/ >/dev/null 2>&1 && break; sleep 0.1; done

# The plugin's Changes argv with the default params; the NUL list comes on stdin.
changes() { "$RSYNC" -artuz -q --no-r -d -I --force --from0 --files-from=- --delete-missing-args \
  --sockopts=TCP_NODELAY --port="$PORT" --password-file="$T/pw" "$@" "$T/src/" u@127.0.0.1::m/; }
list() { printf '%s\0' "$@"; }
cd "$T/src" || exit 1

# 1. Quick check vs -I: a same-size rewrite within the same second is skipped without -I.
python3 -c 'import time; time.sleep(1 - time.time() % 1 + 0.05)'
printf AAAA > f
list f | "$RSYNC" -artuz --no-r -d --from0 --files-from=- --port="$PORT" --password-file="$T/pw" ./ u@127.0.0.1::m/
printf BBBB > f
list f | "$RSYNC" -artuz --no-r -d --from0 --files-from=- --port="$PORT" --password-file="$T/pw" ./ u@127.0.0.1::m/
if [ "$(stat -c %Y f)" = "$(stat -c %Y "$T/dst/f")" ]; then
  check "without -I a same-second same-size rewrite is skipped (the bug)" '[ "$(cat "$T/dst/f")" = AAAA ]'
  list f | changes
  check "with -I it arrives" '[ "$(cat "$T/dst/f")" = BBBB ]'
else
  echo "skip -I check: the second boundary was crossed, run again"
fi

# 2. Hostile names over the daemon protocol, no --protect-args/-s.
NAMES=(' lead' 'trail ' '-leading' '--delete' $'new\nline' '$(touch PWNED)' '`touch PWNED2`' $'bad\xff\xfe' 'q"u'"'"'o' 'glob*?[x]' 'back\slash')
for n in "${NAMES[@]}"; do printf '%s' "$n" > "./$n"; done
list "${NAMES[@]}" | changes
check "hostile names arrive intact" 'diff -r "$T/src" "$T/dst" >/dev/null'
check "nothing was executed" '[ ! -e PWNED ] && [ ! -e PWNED2 ] && [ ! -e "$T/dst/PWNED" ]'

# 3. --delete-missing-args + --force: a listed missing path is deleted, a non-empty directory too;
#    a file moved into a new directory arrives with its parents (implied by --files-from's -R).
mkdir -p gone/sub && echo x > gone/sub/f && mkdir -p new/deep && echo y > new/deep/f
list gone gone/sub gone/sub/f | changes
rm -rf gone
list gone new/deep/f '-leading' | changes  # -leading still exists: just rewritten
check "missing directory with content deleted on the target" '[ ! -e "$T/dst/gone" ]'
check "new file arrives with its parent directories" '[ -f "$T/dst/new/deep/f" ]'

# 4. Root "." with -d sends the root's children too; --include of listed names + --exclude=/* limits that.
chmod 711 . && echo changed > ' lead'
list . new/deep/f | changes --include=/new '--exclude=/*'
check "root attributes synced" '[ "$(stat -c %a "$T/dst")" = 711 ]'
check "an unlisted top-level file was left alone" '[ "$(cat "$T/dst/ lead")" = " lead" ]'

# 5. Exclude escaping: no wildcard = literal (a backslash too); with a wildcard, \ escapes \ * ? [.
for n in 'a*b' 'a*bc' 'q?' 'qx' '[x]' 'x' 'bs\*' 'bs\x' $'nl\nname' '#hash' '+ plus' 'bk\sl'; do printf 1 > "$n"; done
printf '%s\0' '- /a\*b' '- /q\?' '- /\[x]' '- /bs\\\*' $'- /nl\nname' '- /#hash' '- /+ plus' '- /bk\sl' |
  "$RSYNC" -artuz -q -r --delete --force --sockopts=TCP_NODELAY --port="$PORT" --password-file="$T/pw" \
    --from0 --exclude-from=- "$T/src/" u@127.0.0.1::m/
cd "$T/dst" || exit 1
check "escaped names excluded" '[ ! -e "a*b" ] && [ ! -e "q?" ] && [ ! -e "[x]" ] && [ ! -e "bs\\*" ] && [ ! -e $'"'"'nl\nname'"'"' ]'
check "comment-like and prefix-like names excluded" '[ ! -e "#hash" ] && [ ! -e "+ plus" ]'
check "a rule with a backslash and no wildcard is literal" '[ ! -e "bk\\sl" ]'
check "look-alikes kept" '[ -e "a*bc" ] && [ -e qx ] && [ -e x ] && [ -e "bs\\x" ]'

# 6. A directory replaced by a symlink (a file) while a path below it is listed too: rsync treats the new
#    entry as that path's implied parent directory. Listed alone the replacement works; a path below it
#    listed in a later run turns the symlink back into a directory. So the host drops such paths from its
#    queue and the plugin leaves out any path below a non-directory (docs/reliability.md, finding 1).
cd "$T/src" || exit 1
mkdir -p rs/deep/er rf/deep elsewhere && echo 0 > rs/deep/er/f0 && echo 0 > rf/deep/f0
list rs rs/deep rs/deep/er rs/deep/er/f0 rf rf/deep rf/deep/f0 elsewhere | changes
rm -rf rs rf && ln -s elsewhere rs && echo file > rf
list rs/deep/er/f0 rs | changes 2>/dev/null; RC=$?
check "symlink listed with a deleted path below it: rsync keeps the directory, exit 24 (the bug)" \
  '[ $RC = 24 ] && [ -d "$T/dst/rs" ] && [ ! -L "$T/dst/rs" ]'
list rf/deep/f0 rf | changes 2>/dev/null; RC=$?
check "file listed with a deleted path below it: exit 23 \"Not a directory\", every time (the bug)" '[ $RC = 23 ]'
list rs | changes
check "listed alone, the symlink replaces the directory" '[ -L "$T/dst/rs" ] && [ -f "$T/dst/rf" ]'
list rs/deep/er/f0 | changes 2>/dev/null; RC=$?
check "a path below the symlink listed later turns it back into a directory, exit 24" \
  '[ $RC = 24 ] && [ -d "$T/dst/rs" ] && [ ! -L "$T/dst/rs" ]'

# 7. (root, CHECK_FULL_DISK=1: takes 30 s) A full receiver disk: protocol 29 lingers 30 s and exits 12,
#    the default protocol exits 11 at once and names the cause (docs/reliability.md, finding 5).
if [ "${CHECK_FULL_DISK:-0}" = 1 ] && [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m tmpfs "$T/full"; then
  head -c 2097152 /dev/urandom > big
  full() { list big | "$RSYNC" -artz --no-r -d -I --force --from0 --files-from=- --delete-missing-args \
    --sockopts=TCP_NODELAY --port="$PORT" --password-file="$T/pw" "$@" "$T/src/" u@127.0.0.1::full/ 2>&1; }
  S=$SECONDS; OUT=$(full --protocol=29); RC=$?; P29=$((SECONDS - S))
  check "protocol 29 against a full disk: exit 12 after about 30 s (took ${P29} s, exit $RC)" '[ $RC = 12 ] && [ $P29 -ge 25 ]'
  S=$SECONDS; OUT=$(full); RC=$?; PDEF=$((SECONDS - S))
  check "default protocol: exit 11 at once, naming the cause (took ${PDEF} s, exit $RC)" \
    '[ $RC = 11 ] && [ $PDEF -le 3 ] && [[ $OUT == *"No space left on device"* ]]'
  umount -l "$T/full"
fi

[ "$FAILS" = 0 ] && echo "all rsync facts hold for $("$RSYNC" --version | head -1)"
exit "$FAILS"
