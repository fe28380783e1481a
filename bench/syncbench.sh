#!/usr/bin/env bash
# Runs ../shared/bench/syncbench with fsrelay beside lsyncd (and the rsync oracle) on the same workloads.
# Usage: bench/syncbench.sh [extra syncbench args...]   e.g. bench/syncbench.sh -w burst-10k,edit-latency --repeat 3
# Builds fsrelay first (build/), installs lsyncd and inotify-tools if missing. Writes JSON lines to
# bench/results/syncbench-<date>.jsonl and prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
SYNCBENCH=${SYNCBENCH:-../shared/bench/syncbench}
[ -x "$SYNCBENCH" ] || { echo "syncbench not found at $SYNCBENCH (set SYNCBENCH=...)" >&2; exit 2; }
scripts/install-deps.sh
dpkg-query -W -f='${Status}' lsyncd 2>/dev/null | grep -q "ok installed" || apt-get install -y -qq lsyncd inotify-tools
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target fsrelay fsrelay_plugin_rsync >/dev/null
# fsrelay keeps its journal in /var/lib/fsrelay/<config name> when run as root: leave no trace of the run.
[ -e /var/lib/fsrelay ] || trap 'rm -rf /var/lib/fsrelay' EXIT
# syncbench tells a contender is ready by its inotify watches (/proc/PID/fdinfo); with fanotify it would only
# wait for 10 s of quiet. inotify also keeps the comparison with lsyncd like for like. FSRELAY_WATCHER=fanotify
# measures the other backend.
export FSRELAY_WATCHER=${FSRELAY_WATCHER:-inotify}
mkdir -p bench/results
out=bench/results/syncbench-$(date +%Y%m%d-%H%M%S).jsonl
"$SYNCBENCH" --contender lsyncd,rsync-oracle,sersync-compatible --binary build/fsrelay --json "$@" | tee "$out"
echo "results: $out" >&2
