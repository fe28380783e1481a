// Fault 4: a receiver that allows two connections at a time, pushed to by four targets at once.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/fault_figures.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

int countOccurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size())) ++n;
  return n;
}

// One target delivers one batch at a time, so two targets never exceed a module's limit of 2. But rsync
// counts "max connections" in the lock file, shared here by all modules: four targets (one per module)
// contend for two slots, and every refused session ends with exit 5 ("max connections (2) reached").
TEST(FaultMaxConnections, receiver_max_connections_2_with_four_targets_converges_nothing_lost) {
  constexpr int kPreexisting = 300;
  constexpr int kBurst = 5000;
  RsyncDaemonOptions receiver;
  receiver.modules = {"t1", "t2", "t3", "t4"};
  receiver.maxConnections = 2;
  Scenario s(receiver);
  fs::create_directories(s.src / "old");
  writeManyFiles(s.src / "old", kPreexisting);
  s.startRelay({"-r"});  // four full syncs at once: the first contention
  ASSERT_TRUE(s.ready(60s));
  ASSERT_TRUE(s.converged(60s));

  // A burst in several directories, with deletes and renames of what the full sync sent.
  auto t0 = FaultClock::now();
  for (int d = 0; d < 5; ++d) {
    fs::create_directories(s.src / ("d" + std::to_string(d)));
    writeManyFiles(s.src / ("d" + std::to_string(d)), kBurst / 5);
  }
  for (int i = 0; i < 100; ++i) fs::remove(s.src / "old" / ("f" + std::to_string(i) + ".txt"));
  for (int i = 100; i < 150; ++i)
    fs::rename(s.src / "old" / ("f" + std::to_string(i) + ".txt"), s.src / "old" / ("moved" + std::to_string(i)));
  auto burstEnd = FaultClock::now();
  std::size_t inFlight = 0;
  for (const fs::path& t : s.targets()) inFlight += countDifferences(s.src, t);

  std::string diff;
  double secs = secondsToConverge(s.src, s.targets(), 120s, &diff);
  ASSERT_GE(secs, 0.0) << diff;
  secs = secondsSince(burstEnd);
  std::string daemonLog = s.daemon.logText();
  int refused = countOccurrences(daemonLog, "max connections (2) reached");
  std::size_t arrived = 0;
  for (const fs::path& t : s.targets()) arrived += countArrived(s.src, t);
  EXPECT_GT(refused, 0) << "the test should have made the receiver refuse connections; it never did";
  EXPECT_TRUE(failLogEmpties(s.failLog, 10s)) << "changes were left in the fail log:\n" << readFile(s.failLog);

  Figures("4 max connections 2")
      .add("targets", 4)
      .add("files per target", kBurst + kPreexisting)
      .seconds("burst write s", std::chrono::duration<double>(burstEnd - t0).count())
      .add("in flight at burst end (all targets)", inFlight)
      .add("arrived (all targets)", arrived)
      .add("connections refused", refused)
      .seconds("converge after burst s", secs);
  EXPECT_TRUE(s.terminatesCleanly());
}

}  // namespace
}  // namespace fsrelay::test
