#!/usr/bin/env bash
# Builds the config loader's libFuzzer target with clang and runs it for a bounded time.
#
#   scripts/fuzz.sh [seconds]        (default 60)
#
# build-fuzz is its own configure (clang-14, FSRELAY_BUILD_FUZZ=ON, no tests): the main build uses g++,
# which has no libFuzzer. Seeds come from tests/fuzz/corpus/config (read only); what the fuzzer learns goes to
# build-fuzz/corpus-config, kept between runs. A crash, hang, leak or broken contract stops it with exit status
# 1 and saves the input as build-fuzz/artifacts/crash-* (or leak-*, timeout-*, oom-*): reproduce it with
#   build-fuzz/tests/fuzz/fsrelay_config_fuzz build-fuzz/artifacts/crash-...
# and keep it as tests/fuzz/crashes/NAME.xml (see the README there). Environment: FUZZ_JOBS (parallel workers,
# default 1), FUZZ_MAX_LEN (bytes per input, default 16384).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "usage: $0 [seconds]" >&2; exit 2; }
dir=build-fuzz

CC=clang-14 CXX=clang++-14 cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFSRELAY_BUILD_FUZZ=ON -DFSRELAY_BUILD_TESTS=OFF >/dev/null
cmake --build "$dir" --target fsrelay_config_fuzz -j2

mkdir -p "$dir/corpus-config" "$dir/artifacts"
# The loader stats the paths it reads (watch folders, password file): run where a relative one is harmless.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
jobs=${FUZZ_JOBS:-1}
args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-16384}"
      -dict=tests/fuzz/config.dict -artifact_prefix="$dir/artifacts/" -print_final_stats=1)
if [[ $jobs -gt 1 ]]; then
  args+=(-fork="$jobs")
fi
exec "$dir/tests/fuzz/fsrelay_config_fuzz" "${args[@]}" "$dir/corpus-config" tests/fuzz/corpus/config
