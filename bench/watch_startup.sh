#!/usr/bin/env bash
# Time from start to "watching" with each watcher backend on a generated tree of N directories.
# Usage: bench/watch_startup.sh [N=200000] [fsrelay binary=build/fsrelay]
# Root only (fanotify needs CAP_SYS_ADMIN). Makes the tree under a fresh temp dir and removes it at the end;
# raises fs.inotify.max_user_watches only when N needs it, and puts the old value back on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000}
bin=$(realpath "${2:-build/fsrelay}")
[ "$(id -u)" = 0 ] || { echo "run as root (fanotify needs CAP_SYS_ADMIN)" >&2; exit 2; }
work=$(mktemp -d /tmp/fsrelay-startup-XXXXXX)
oldWatches=$(cat /proc/sys/fs/inotify/max_user_watches)
cleanup() {
  [ "$(cat /proc/sys/fs/inotify/max_user_watches)" = "$oldWatches" ] || sysctl -qw fs.inotify.max_user_watches="$oldWatches"
  rm -rf "$work"
}
trap cleanup EXIT
need=$((n + 20000))
[ "$oldWatches" -lt "$need" ] && sysctl -qw fs.inotify.max_user_watches="$need"

# N directories, three levels (about 60 x 60 x N/3600), one file in every leaf.
python3 - "$work/tree" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
made = 0
os.makedirs(root)
a = 0
while made < n:
    top = os.path.join(root, f"a{a}"); os.mkdir(top); made += 1; a += 1
    for b in range(60):
        if made >= n: break
        mid = os.path.join(top, f"b{b}"); os.mkdir(mid); made += 1
        for c in range(min(58, n - made)):
            leaf = os.path.join(mid, f"c{c}"); os.mkdir(leaf); made += 1
            open(os.path.join(leaf, "f"), "w").close()
PY
echo "tree: $(find "$work/tree" -type d | wc -l) directories"
cat > "$work/confxml.xml" <<XML
<head version="2.5">
  <sersync>
    <localpath watch="$work/tree"><remote ip="127.0.0.1" name="none"/></localpath>
    <rsync><commonParams params="-artuz"/><userDefinedPort start="true" port="9"/></rsync>
    <failLog path="$work/fail.log" timeToExecute="60"/>
  </sersync>
  <fsrelay><state dir="$work/state"/></fsrelay>
</head>
XML
for backend in inotify fanotify inotify fanotify; do
  log="$work/$backend.log"; : > "$log"
  start=$(date +%s%N)
  FSRELAY_WATCHER=$backend "$bin" -o "$work/confxml.xml" > "$log" 2>&1 &
  pid=$!
  until grep -q "watching $work/tree" "$log"; do
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.005
  done
  took=$(( ($(date +%s%N) - start) / 1000000 ))
  kill -TERM "$pid"; wait "$pid" || true
  echo "$backend: ${took} ms from start to watching; $(grep -o "watching $work/tree.*" "$log" | sed "s|$work/tree|TREE|")"
done
