// Fault 5: one remote behind a throttling TCP proxy (latency and a bandwidth cap); the fast remote must not
// wait for it, neither for a burst nor for a single change made while the slow one is still busy.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/fault_figures.hpp"
#include "tests/support/fault_proxy.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(FaultSlowRemote, remote_behind_throttling_proxy_does_not_hold_back_the_fast_one) {
  constexpr int kFiles = 200;
  constexpr std::uint64_t kFileBytes = 16 * 1024;  // random, so rsync's -z cannot shrink it
  constexpr std::size_t kRate = 128 * 1024;       // bytes per second through the proxy, each way
  Scenario s;
  // sersync's config has one port for all remotes: the proxy listens on that port at 127.0.0.2 and
  // forwards to the daemon on 127.0.0.1. Remote t1 goes straight to the daemon, t2 through the proxy.
  ThrottlingProxy proxy({.listenAddress = "127.0.0.2",
                         .listenPort = s.daemon.port(),
                         .upstreamAddress = "127.0.0.1",
                         .upstreamPort = s.daemon.port(),
                         .delay = 20ms,
                         .bytesPerSecond = kRate});
  const fs::path fast = s.daemon.moduleDir("t1");
  const fs::path slow = s.daemon.moduleDir("t2");
  ConfigWriter config;
  config.localpath(s.src, {"t1"}, "127.0.0.1")
      .localpath(s.src, {"t2"}, "127.0.0.2")
      .auth(s.daemon.user(), s.daemon.passwordFile())
      .port(s.daemon.port())
      .failLog(s.failLog)
      .stateDir(s.tmp / "state");
  s.config = config;
  s.startRelay({});
  ASSERT_TRUE(s.ready());

  auto t0 = FaultClock::now();
  for (int i = 0; i < kFiles; ++i) writeRandomFile(s.src / ("r" + std::to_string(i) + ".bin"), kFileBytes, i + 1);
  auto burstEnd = FaultClock::now();

  std::string diff;
  double fastSecs = secondsToConverge(s.src, {fast}, 60s, &diff);
  ASSERT_GE(fastSecs, 0.0) << "the fast remote did not converge:\n" << diff;
  fastSecs = secondsSince(burstEnd);
  std::size_t slowBehind = countDifferences(s.src, slow);
  EXPECT_GT(slowBehind, 0u) << "the proxy did not slow t2 down: the test proves nothing";

  // A single edit while t2 is still busy with the burst reaches t1 at once.
  auto editAt = FaultClock::now();
  writeFile(s.src / "edit-while-slow.txt", "one change\n");
  double editSecs = secondsToConverge(s.src, {fast}, 30s, &diff);
  ASSERT_GE(editSecs, 0.0) << diff;
  editSecs = secondsSince(editAt);
  EXPECT_LT(editSecs, 2.0) << "a lone change to the fast remote waited for the slow one";
  std::size_t inFlight = countDifferences(s.src, slow);
  EXPECT_GT(inFlight, 0u) << "t2 was already done: the slowness ended too early to show anything";

  // The slowness ends; the slow remote then catches up at full speed.
  proxy.setThrottle(0ms, 0);
  auto liftedAt = FaultClock::now();
  double slowSecs = secondsToConverge(s.src, {slow}, 90s, &diff);
  EXPECT_GE(slowSecs, 0.0) << "the slow remote never converged:\n" << diff;
  slowSecs = secondsSince(liftedAt);
  EXPECT_EQ(compareTrees(s.src, {fast, slow}), "");

  Figures("5 slow remote")
      .add("files", kFiles)
      .add("proxy", "20 ms per chunk, " + std::to_string(kRate / 1024) + " KiB/s")
      .seconds("burst write s", std::chrono::duration<double>(burstEnd - t0).count())
      .seconds("fast remote converged after burst s", fastSecs)
      .add("slow remote behind then", slowBehind)
      .seconds("single edit on fast remote s", editSecs)
      .add("in flight to slow remote when throttle lifted", inFlight)
      .add("arrived", countArrived(s.src, slow))
      .add("proxy bytes up", static_cast<std::size_t>(proxy.bytesUp()))
      .seconds("slow remote converged after throttle lifted s", slowSecs);
  EXPECT_TRUE(s.terminatesCleanly());
}

}  // namespace
}  // namespace fsrelay::test
