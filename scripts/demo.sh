#!/usr/bin/env bash
# Builds fsrelay, then shows it pushing changes in a watched folder to a local rsync daemon as they happen.
#
#   scripts/demo.sh          run the scripted changes, then stop everything and clean up
#   scripts/demo.sh --keep   afterwards keep fsrelay running in the foreground until Ctrl-C (or SIGTERM)
#   FSRELAY_BIN=PATH scripts/demo.sh   use that binary instead of building and installing to build/stage
#
# Everything lives in one temp dir; the rsync daemon listens on 127.0.0.1 only. fsrelay and the daemon are
# stopped by their PIDs, and the temp dir removed, however the script ends.
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true   # bash 5.2: keep "&" literal in ${var//pattern/replacement}
cd "$(dirname "$0")/.."
root=$PWD

keep=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf '%s\n' "$*"; }
now_ms() { date +%s%3N; }

if [[ -n "${FSRELAY_BIN:-}" ]]; then
  bin=$FSRELAY_BIN
else
  scripts/install-deps.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j2
  cmake --install build --prefix build/stage >/dev/null
  bin=$root/build/stage/bin/fsrelay
fi

demo=$(mktemp -d "${TMPDIR:-/tmp}/fsrelay-demo.XXXXXX")
src=$demo/demo/src
dst=$demo/target
mkdir -p "$src" "$dst" "$demo/state"
rsync_pid=
fsrelay_pid=
tail_pid=

stop_pid() {  # PID, name: SIGTERM, then SIGKILL after 10 s; reaps it
  local pid=$1 name=$2 i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "demo: $name did not stop within 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  local status=0
  wait "$pid" 2>/dev/null || status=$?
  say "demo: stopped $name (pid $pid, exit status $status)"
}

cleanup() {
  trap - EXIT INT TERM
  [[ -n "$tail_pid" ]] && kill "$tail_pid" 2>/dev/null || true
  stop_pid "$fsrelay_pid" fsrelay
  stop_pid "$rsync_pid" "rsync daemon"
  rm -rf -- "$demo"
  say "demo: removed $demo"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the receiving side: rsync --daemon with one authenticated module --------------------------------
password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
(
  umask 077
  printf 'fsrelay:%s\n' "$password" >"$demo/rsyncd.secrets"
  printf '%s\n' "$password" >"$demo/rsync.password"
)
{
  echo "lock file = $demo/rsyncd.lock"
  echo "reverse lookup = no"
  if ((EUID == 0)); then echo "uid = $(id -u)"; echo "gid = $(id -g)"; fi
  echo "[demo]"
  echo "    path = $dst"
  echo "    comment = fsrelay demo"
  echo "    read only = false"
  echo "    use chroot = no"
  echo "    munge symlinks = no"
  echo "    auth users = fsrelay"
  echo "    secrets file = $demo/rsyncd.secrets"
  echo "    hosts allow = 127.0.0.1"
} >"$demo/rsyncd.conf"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port=
for attempt in 1 2 3 4 5; do
  candidate=$(free_port)
  rsync --daemon --no-detach --config="$demo/rsyncd.conf" --address=127.0.0.1 --port="$candidate" \
    --log-file="$demo/rsyncd.log" </dev/null >>"$demo/rsyncd.out" 2>&1 &
  rsync_pid=$!
  for ((i = 0; i < 100; i++)); do
    kill -0 "$rsync_pid" 2>/dev/null || break
    if rsync "rsync://127.0.0.1:$candidate/" 2>/dev/null | grep -q 'fsrelay demo'; then port=$candidate; break; fi
    sleep 0.1
  done
  [[ -n "$port" ]] && break
  stop_pid "$rsync_pid" "rsync daemon (port $candidate taken?)"
  rsync_pid=
done
if [[ -z "$port" ]]; then
  say "demo: could not start rsync --daemon:"; cat "$demo/rsyncd.out" "$demo/rsyncd.log" 2>/dev/null || true
  exit 1
fi

# --- the config, from the template conf/demo.xml --------------------------------------------------------
xml_escape() {
  local s=$1
  s=${s//"&"/"&amp;"}; s=${s//"<"/"&lt;"}; s=${s//">"/"&gt;"}; s=${s//'"'/"&quot;"}; s=${s//"'"/"&apos;"}
  printf '%s' "$s"
}
config=$(<"$root/conf/demo.xml")
for pair in "WATCH=$src" "REMOTE_IP=127.0.0.1" "MODULE=demo" "PORT=$port" "USER=fsrelay" \
            "PASSWORD_FILE=$demo/rsync.password" "FAIL_LOG=$demo/fail.log" "STATE_DIR=$demo/state"; do
  name=${pair%%=*}
  value=$(xml_escape "${pair#*=}")
  config=${config//"@$name@"/"$value"}
done
printf '%s\n' "$config" >"$demo/confxml.xml"

# --- before start: files already in the source, and a stale file on the target that -r removes --------
echo "already here before fsrelay started" >"$src/existing.txt"
echo "stale: not in the source" >"$dst/stale-on-target.txt"

listing() { (cd "$dst" && find . -mindepth 1 \( -type d -printf '    %P/\n' \) -o -printf '    %P  (%s bytes)\n' | sort); }
in_sync() { diff -r --no-dereference "$src" "$dst" >/dev/null 2>&1; }
wait_in_sync() {  # prints how long the target took to equal the source
  local t0=$1 i
  for ((i = 0; i < 600; i++)); do
    if in_sync; then say "  arrived after $(($(now_ms) - t0)) ms; target now:"; listing; return 0; fi
    sleep 0.05
  done
  say "  NOT in sync after 30 s:"; diff -r --no-dereference "$src" "$dst" || true
  say "fsrelay's log:"; tail -n 30 "$demo/fsrelay.log"
  exit 1
}
step() {  # description, then a command run as is (argv, no eval)
  local what=$1; shift
  say ""
  say "== $what"
  local t0; t0=$(now_ms)
  "$@"
  wait_in_sync "$t0"
}

say ""
say "demo: rsync daemon on 127.0.0.1:$port (pid $rsync_pid), module 'demo' -> $dst"
say "demo: starting: $bin -r -o $demo/confxml.xml"
t0=$(now_ms)
"$bin" -r -o "$demo/confxml.xml" </dev/null 2>"$demo/fsrelay.log" &
fsrelay_pid=$!
for ((i = 0; i < 300; i++)); do
  grep -q 'ready:' "$demo/fsrelay.log" 2>/dev/null && break
  if ! kill -0 "$fsrelay_pid" 2>/dev/null; then
    say "demo: fsrelay exited before it was ready:"; cat "$demo/fsrelay.log"; exit 1
  fi
  sleep 0.1
done
if ! grep -q 'ready:' "$demo/fsrelay.log"; then
  say "demo: fsrelay not ready after 30 s:"; cat "$demo/fsrelay.log"; exit 1
fi
say "demo: fsrelay ready after $(($(now_ms) - t0)) ms (pid $fsrelay_pid): $(grep -m1 'ready:' "$demo/fsrelay.log")"
say "== -r made the target equal to the source (existing.txt copied, stale-on-target.txt deleted):"
listing

create_file() { echo "hello from fsrelay" >"$src/hello.txt"; }
nested_dirs() { mkdir -p "$src/photos/2024/summer" && echo "sand" >"$src/photos/2024/summer/beach.txt"; }
spaced_name() { echo "agenda" >"$src/meeting notes (draft).txt"; }
rename_file() { mv "$src/meeting notes (draft).txt" "$src/meeting notes.txt"; }
rename_dir() { mv "$src/photos" "$src/pictures"; }
delete_file() { rm "$src/hello.txt"; }
burst() { mkdir "$src/burst"; for i in $(seq 1 500); do echo "$i" >"$src/burst/file-$i.txt"; done; }

connections_before=$(grep -c 'connect from' "$demo/rsyncd.log" || true)
step "create a file: echo ... > hello.txt" create_file
step "nested directories in one go: mkdir -p photos/2024/summer && echo ... > .../beach.txt" nested_dirs
step "a name with spaces and parentheses: 'meeting notes (draft).txt'" spaced_name
step "rename a file: 'meeting notes (draft).txt' -> 'meeting notes.txt'" rename_file
step "rename a directory: photos -> pictures" rename_dir
step "delete a file: rm hello.txt" delete_file
say ""
say "== a burst: 500 files written in a loop into burst/"
t0=$(now_ms)
burst
for ((i = 0; i < 600; i++)); do in_sync && break; sleep 0.05; done
in_sync || { say "  NOT in sync after 30 s"; tail -n 30 "$demo/fsrelay.log"; exit 1; }
say "  arrived after $(($(now_ms) - t0)) ms; target has $(find "$dst/burst" -type f | wc -l) files in burst/"
connections_after=$(grep -c 'connect from' "$demo/rsyncd.log" || true)
say ""
say "demo: all changes arrived, with $((connections_after - connections_before)) rsync connections in all" \
    "(sersync 2.5 opens one per file and target)."

if ((keep)); then
  say ""
  say "demo: fsrelay keeps running (pid $fsrelay_pid). Change files in"
  say "    $src"
  say "and watch them arrive in"
  say "    $dst"
  say "Ctrl-C (or SIGTERM to pid $$) stops fsrelay and the rsync daemon and removes $demo."
  say "--- fsrelay's log ---"
  tail -n +1 -f "$demo/fsrelay.log" --pid="$fsrelay_pid" &
  tail_pid=$!
  wait "$fsrelay_pid" || true
  fsrelay_pid=
  say "demo: fsrelay exited"
else
  say "fsrelay's log (last 10 lines):"
  tail -n 10 "$demo/fsrelay.log" | sed 's/^/    /'
fi
