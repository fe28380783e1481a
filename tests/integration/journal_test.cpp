// The journal: kill -9 mid-burst, changes made while fsrelay was down, and a torn journal tail.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/support/fault_figures.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string logSince(Process& p, std::size_t from) { return p.output().substr(std::min(from, p.outputSize())); }

TEST(Journal, kill_9_mid_burst_then_restart_converges_without_minus_r) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());
  writeManyFiles(s.src, 100, "before");
  ASSERT_TRUE(s.converged(30s));
  fs::create_directories(s.src / "burst/a");
  writeManyFiles(s.src / "burst", 1500, "x");
  writeManyFiles(s.src / "burst/a", 500, "y");
  fs::remove(s.src / "before7.txt");
  s.relay().signal(SIGKILL);  // in the middle: some changes queued, some in flight, some not even read
  auto st = s.relay().waitExit(10s);
  ASSERT_TRUE(st && st->signaled()) << "fsrelay should have died from SIGKILL";
  writeManyFiles(s.src / "burst", 50, "while-down");

  std::size_t inFlight = 0;
  for (const auto& t : s.targets()) inFlight += countDifferences(s.src, t);

  std::size_t from = s.relay().outputSize();
  const auto restarted = FaultClock::now();
  s.restartRelay();  // no -r: the journal and the reconciliation scan must be enough
  ASSERT_TRUE(s.ready());
  std::string diff;
  const double converge = secondsToConverge(s.src, s.targets(), 60s, &diff);
  EXPECT_GE(converge, 0) << diff << s.relay().outputTail(30);
  std::size_t arrived = 0;
  for (const auto& t : s.targets()) arrived += countArrived(s.src, t);
  Figures("Journal.kill_9_mid_burst")
      .add("in_flight_entries_both_targets", inFlight)
      .add("arrived_entries_both_targets", arrived)
      .seconds("restart_to_converged_s", secondsSince(restarted));
  std::string log = logSince(s.relay(), from);
  EXPECT_NE(log.find("reconciled "), std::string::npos) << log;
}

TEST(Journal, a_file_changed_while_down_is_sent_alone_after_a_clean_stop) {
  Scenario s;
  writeManyFiles(s.src, 50, "f");
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged(30s));
  // The files must be older than the stop's checkpoint (which keeps a 2 s margin), or they count as new.
  std::this_thread::sleep_for(2500ms);
  ASSERT_TRUE(s.terminatesCleanly());
  writeFile(s.src / "f3.txt", "edited while fsrelay was stopped\n");  // exists: its directory does not change

  std::size_t from = s.relay().outputSize();
  s.restartRelay({"--log-level", "debug"});
  ASSERT_TRUE(s.ready());
  EXPECT_TRUE(s.converged(30s));
  std::string log = logSince(s.relay(), from);
  EXPECT_NE(log.find(": 1 entries changed since"), std::string::npos) << log;
  EXPECT_EQ(log.find("full sync of "), std::string::npos) << "an edited file needs no full sync:\n" << log;
}

TEST(Journal, a_file_deleted_while_down_is_deleted_on_the_targets) {
  Scenario s;
  writeManyFiles(s.src, 20, "f");
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged(30s));
  ASSERT_TRUE(s.terminatesCleanly());
  fs::remove(s.src / "f5.txt");
  s.restartRelay();
  ASSERT_TRUE(s.ready());
  EXPECT_TRUE(s.converged(30s));
  for (const auto& t : s.targets()) EXPECT_FALSE(fs::exists(t / "f5.txt")) << t;
}

TEST(Journal, a_torn_last_record_is_skipped_with_a_warning) {
  Scenario s;
  fs::create_directories(s.tmp / "state");
  {
    std::ofstream j(s.tmp / "state/journal", std::ios::binary);
    j << "C\t1\n+\t" << s.src.string() << "\tcut-off-na";  // no newline: power went out mid-append
  }
  writeFile(s.src / "after.txt", "x\n");
  s.startRelay();
  ASSERT_TRUE(s.ready());
  EXPECT_TRUE(s.converged(30s));
  EXPECT_NE(s.relay().output().find("last record is incomplete"), std::string::npos) << s.relay().outputTail(20);
  EXPECT_TRUE(s.relay().running());
}

// -r's full sync is an obligation with no per-file records: the journal keeps it ("F root") until done.
TEST(Journal, a_full_sync_cut_off_by_kill_9_runs_again_after_the_restart) {
  Scenario s;
  writeManyFiles(s.src, 30, "old");  // on no target, and older than the checkpoint below
  s.startRelay({});
  ASSERT_TRUE(s.ready());
  std::this_thread::sleep_for(2500ms);  // past the checkpoint's 2 s margin
  ASSERT_TRUE(s.terminatesCleanly());

  s.daemon.stop();  // the remote is down: the -r sync fails and is retried
  std::size_t from = s.relay().outputSize();
  s.restartRelay({"-r"});
  ASSERT_TRUE(s.ready());  // logged once the full sync was tried
  std::this_thread::sleep_for(300ms);
  s.relay().signal(SIGKILL);
  ASSERT_TRUE(s.relay().waitExit(10s));
  s.daemon.start();

  from = s.relay().outputSize();
  s.restartRelay();  // no -r: only the journal knows a full sync is owed
  ASSERT_TRUE(s.ready());
  EXPECT_TRUE(s.converged(30s));
  std::string log = logSince(s.relay(), from);
  EXPECT_NE(log.find("a full sync of it was under way when the previous run ended"), std::string::npos) << log;
}

}  // namespace
}  // namespace fsrelay::test
