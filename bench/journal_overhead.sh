#!/usr/bin/env bash
# The durable journal's cost on the sync path: syncbench's fsrelay runs with the journal (the default) and
# without it, alternately, on the same workloads.
# Usage: bench/journal_overhead.sh [--repeat N] [other syncbench args]   (default: -w burst-10k,edit-latency,tree)
# Must run as root: without a journal is made by putting a plain file where fsrelay's default state folder
# (/var/lib/fsrelay) would be, so it logs "running without a journal". Refuses when /var/lib/fsrelay exists.
set -euo pipefail
cd "$(dirname "$0")/.."
SYNCBENCH=${SYNCBENCH:-../shared/bench/syncbench}
[ "$(id -u)" = 0 ] || { echo "run as root (the default state folder is /var/lib/fsrelay)" >&2; exit 2; }
[ -e /var/lib/fsrelay ] && { echo "/var/lib/fsrelay exists; not touching it" >&2; exit 2; }
trap 'rm -rf /var/lib/fsrelay' EXIT
scripts/install-deps.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target fsrelay fsrelay_plugin_rsync >/dev/null
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(-w burst-10k,edit-latency,tree --repeat 3)
mkdir -p bench/results
out=bench/results/journal-overhead-$(date +%Y%m%d-%H%M%S).txt
for mode in journal none journal none; do
  rm -rf /var/lib/fsrelay
  [ "$mode" = none ] && touch /var/lib/fsrelay
  echo "== $mode" | tee -a "$out"
  "$SYNCBENCH" --contender sersync-compatible --binary build/fsrelay "${args[@]}" 2>/dev/null | tee -a "$out"
done
echo "results: $out" >&2
