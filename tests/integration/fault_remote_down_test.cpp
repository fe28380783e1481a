// Fault 2: one remote's rsync daemon crashes in the middle of a 5,000-file burst and stays down for a while.
// The other remote must not wait for it; the failed one must catch up within 10 s of coming back, long
// before the fail log's timed replay (an hour here).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/fault_figures.hpp"
#include "tests/support/fault_tmpfs.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// FSRELAY_FAULT_DOWN_SECONDS overrides how long the daemon stays down (the issue asks for 30 s).
std::chrono::milliseconds downTime() {
  const char* env = std::getenv("FSRELAY_FAULT_DOWN_SECONDS");
  int s = env != nullptr && *env != '\0' ? std::atoi(env) : 30;
  return std::chrono::seconds(s > 0 ? s : 30);
}

std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// Sum of N over "<prefix>K changes: N path(s), ... exit 0" lines logged after byte `from`, taken once the
// log has not grown for `quiet` (or after `timeout`).
std::size_t pathsSentSince(Process& relay, const std::string& prefix, std::size_t from,
                           std::chrono::milliseconds quiet, std::chrono::milliseconds timeout) {
  auto deadline = FaultClock::now() + timeout;
  std::size_t size = relay.outputSize();
  auto stableSince = FaultClock::now();
  while (FaultClock::now() < deadline && FaultClock::now() - stableSince < quiet) {
    std::this_thread::sleep_for(100ms);
    std::size_t now = relay.outputSize();
    if (now != size) {
      size = now;
      stableSince = FaultClock::now();
    }
  }
  static const std::regex kBatch("changes: ([0-9]+) path\\(s\\), [0-9]+ ms, exit 0");
  std::istringstream in(relay.output().substr(from));
  std::size_t sum = 0;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (line.find(prefix) != std::string::npos && std::regex_search(line, m, kBatch)) sum += std::stoul(m[1]);
  }
  return sum;
}

TEST(FaultRemoteDown, daemon_down_30s_mid_burst_other_remote_on_time_failed_one_within_10s_of_return) {
  constexpr int kFiles = 5000;
  // Remote t1 on the scenario's daemon (127.0.0.1), remote t2 on a daemon of its own that can crash alone.
  // sersync's config has one port for every remote, so the second daemon listens on the same port at
  // another loopback address, with the same user and password.
  // The three trees of 5,000 files outlive the kernel's writeback delay; on a tmpfs their removal stays
  // cheap (see TmpdirOnTmpfs). Declared first, so it goes last.
  TmpdirOnTmpfs memoryTmp(1ull << 30);
  RsyncDaemonOptions first;
  first.modules = {"t1"};
  Scenario s(first);
  RsyncDaemonOptions second;
  second.modules = {"t2"};
  second.address = "127.0.0.2";
  second.port = s.daemon.port();
  second.password = firstLine(readFile(s.daemon.passwordFile()));
  RsyncDaemon down(s.tmp / "rsyncd-b", second);
  const fs::path t1 = s.daemon.moduleDir("t1");
  const fs::path t2 = down.moduleDir("t2");
  ConfigWriter config;
  config.localpath(s.src, {"t1"}, "127.0.0.1")
      .localpath(s.src, {"t2"}, "127.0.0.2")
      .auth(s.daemon.user(), s.daemon.passwordFile())
      .port(s.daemon.port())
      .failLog(s.failLog)  // timeToExecute 60 min: a catch-up within seconds cannot be the timed replay
      .stateDir(s.tmp / "state");
  // Backoff capped at 2 s instead of the default 8 s: a failed target probes its fail log at the
  // backoff's pace, so the cap bounds the wait after the daemon is back (then the transfer itself, several
  // seconds for ~4,000 files on a loaded 2-core runner); with the default cap the bound is 8 s + transfer.
  config.retry(8, 250, 2000);
  s.config = config;
  // Debug level: pathsSentSince counts the rsync plugin's per-run lines, which are debug lines now.
  s.startRelay({"--log-level", "debug"});
  ASSERT_TRUE(s.ready());

  // First half of the burst, the crash once t2 has begun to receive it, then the second half.
  auto burstStart = FaultClock::now();
  writeManyFiles(s.src, kFiles / 2, "a");
  auto firstArrival = FaultClock::now() + 10s;
  while (fs::is_empty(t2) && FaultClock::now() < firstArrival) std::this_thread::sleep_for(5ms);
  down.crash();
  auto crashAt = FaultClock::now();
  writeManyFiles(s.src, kFiles / 2, "b");
  auto burstEnd = FaultClock::now();

  // The healthy remote converges while the other is still down.
  std::string diff;
  double healthy = secondsToConverge(s.src, {t1}, 60s, &diff);
  if (healthy >= 0) healthy = secondsSince(burstEnd);
  EXPECT_GE(healthy, 0.0) << "t1 never converged while t2 was down:\n" << diff;
  EXPECT_LE(healthy, 15.0) << "t1 was held back by the dead remote";
  EXPECT_LT(FaultClock::now(), crashAt + downTime()) << "t1 only converged after the outage was over";

  auto restartAt = crashAt + downTime();
  std::this_thread::sleep_until(restartAt);
  std::size_t inFlight = countDifferences(s.src, t2);
  std::size_t arrivedBefore = countArrived(s.src, t2);
  std::size_t failLogLines = failLogEntries(s.failLog);
  std::size_t logFrom = s.relay().outputSize();
  auto restartCalled = FaultClock::now();
  down.start();  // returns once the daemon answers
  auto backAt = FaultClock::now();

  double recovered = secondsToConverge(s.src, {t2}, 60s, &diff);
  if (recovered >= 0) recovered = secondsSince(restartCalled);  // counted from before the restart
  EXPECT_GE(recovered, 0.0) << "t2 never converged after its daemon came back:\n" << diff;
  EXPECT_LE(recovered, 10.0) << "t2 must converge within 10 s of its daemon coming back";
  EXPECT_TRUE(s.relay().waitForLine("accepts transfers again", 5s, logFrom))
      << "fsrelay should log that the target is back";
  // What fsrelay sent to t2 after the restart, once it has gone quiet: ideally the files in flight once.
  std::size_t resent = pathsSentSince(s.relay(), "::t2: batch ", logFrom, 3s, 30s);
  EXPECT_EQ(waitEqual(s.src, {t1, t2}, 30s), "");
  EXPECT_GT(inFlight, 0u) << "the crash should have left files undelivered to t2";
  EXPECT_TRUE(failLogEmpties(s.failLog, 10s)) << "entries left in the fail log:\n" << readFile(s.failLog);

  Figures("2 remote daemon down")
      .add("files", kFiles)
      .seconds("down s", std::chrono::duration<double>(backAt - crashAt).count())
      .seconds("healthy remote converged after burst s", healthy)
      .seconds("burst write s", std::chrono::duration<double>(burstEnd - burstStart).count())
      .add("in flight to failed remote at restart", inFlight)
      .add("arrived before restart", arrivedBefore)
      .add("fail-log entries at restart", failLogLines)
      .add("arrived", countArrived(s.src, t2))
      .seconds("converge after restart s", recovered)
      .add("paths sent to it after restart", resent);
  EXPECT_TRUE(s.terminatesCleanly());
  if (::testing::Test::HasFailure()) std::cerr << "--- second rsync daemon log ---\n" << down.logTail(20) << "\n";
}

}  // namespace
}  // namespace fsrelay::test
