#!/usr/bin/env bash
# Builds fsrelay with sanitizers and runs its tests under them.
#
#   scripts/sanitize.sh [address|thread] [extra ctest arguments...]
#
# address (default): build-asan with AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer, the whole
#                    suite (unit and integration).
# thread:            build-tsan with ThreadSanitizer, the parts that exercise threads: the target queue's unit
#                    tests and the integration tests that run the daemon's threads hardest (see TSAN_TESTS).
#
# Every target of the build is instrumented, the daemon and its plugins included. The integration tests start the
# daemon as a child with stderr in a log file: a report there makes it die (halt_on_error / abort_on_error), and
# the test harness (tests/support/process.cpp) fails the test on any sanitizer report it finds in a child's log.
# Suppressions, each with its reason, are in tests/sanitizers/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

kind=${1:-address}
[[ $# -gt 0 ]] && shift
case "$kind" in
  address) dir=build-asan; sanitize="address,undefined" ;;
  thread) dir=build-tsan; sanitize="thread" ;;
  *) echo "usage: $0 [address|thread] [ctest arguments...]" >&2; exit 2 ;;
esac

# Integration tests that run several of the daemon's threads at once (watcher, engine, target queues, plugin
# workers, the HTTP server and its SSE streams, socket connections, a reload's second engine), chosen to take
# about 6 minutes under TSan. Not Overflow: its harness (itself instrumented) compares 18,000-file trees
# and runs past the 300 s test timeout.
TSAN_TESTS='^(Target\.|Sync\.|Lifecycle\.|Journal\.|Reload\.|SocketRelay\.|SocketInstance\.|HttpEndpoint\.|HttpPage\.|HttpWebhook\.|CommandPlugin\.|Failure\.|Daemonize\.|install_stage$)'

supp=$root/tests/sanitizers
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:suppressions=$supp/asan.supp"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
# abort_on_error for UBSan too: with ASan in the same process it would otherwise exit 1, like a plain failure.
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:suppressions=$supp/ubsan.supp"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"

start=$SECONDS
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFSRELAY_SANITIZE="$sanitize"
cmake --build "$dir" -j2
built=$SECONDS

status=0
if [[ $kind == thread ]]; then
  ctest --test-dir "$dir" --output-on-failure -j2 -R "$TSAN_TESTS" "$@" || status=$?
else
  ctest --test-dir "$dir" --output-on-failure -j2 "$@" || status=$?
fi
echo "sanitize.sh $kind: build $((built - start)) s, tests $((SECONDS - built)) s, status $status"
exit "$status"
