#!/usr/bin/env bash
# Installs the dependencies, builds fsrelay and runs every test (unit and integration) with ctest.
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` or `scripts/test.sh -R Sync`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j2

# Two tests at a time on the 2-core machine: integration tests use their own ports and temp dirs, spend
# most of their time waiting on rsync and the file system, and each has a 300 s ctest timeout.
status=0
ctest --test-dir build --output-on-failure -j2 "$@" || status=$?
exit "$status"
