#!/usr/bin/env bash
# "No shell between a file name and a process", checked on what was built: neither the daemon nor any plugin
# imports a libc function that runs /bin/sh or expands words (system, popen, wordexp, execl*). Children are
# started with posix_spawn/execve and an argv (core/util/spawn.cpp), which this cannot tell apart from
# spawning "sh -c": that is what the source check below and the path tests (tests/integration/paths_*) are for.
#   scripts/check-no-shell.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
shopt -s nullglob
files=("$build/fsrelay" "$build"/lib/fsrelay/plugins/*.so)
[ ${#files[@]} -ge 2 ] || { echo "check-no-shell: nothing built under $build" >&2; exit 2; }
for f in "${files[@]}"; do
  bad=$(nm -D --undefined-only "$f" | awk '{print $NF}' | sed 's/@.*//' | grep -xE 'system|popen|wordexp|execl|execlp|execle' || true)
  if [ -n "$bad" ]; then
    echo "check-no-shell: $f imports $(echo $bad)" >&2
    status=1
  fi
done
# No "sh -c" or "/bin/sh" handed to a spawn in the daemon or the plugins.
if grep -rnE '"(/bin/)?sh"|"-c"' "$root/core" "$root/plugins" --include='*.cpp' --include='*.hpp' | grep -v '^\s*//'; then
  echo "check-no-shell: a shell is named in the sources above" >&2
  status=1
fi
[ $status = 0 ] && echo "check-no-shell: ${#files[@]} binaries import no shell-running function; no shell named in the sources"
exit $status
