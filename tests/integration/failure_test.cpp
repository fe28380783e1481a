// A failing target: the others still converge, failures reach the fail log, a target back up catches up.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>
#include <thread>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A log line that names the module and says something went wrong.
bool logBlames(const std::string& log, const std::string& module) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    std::string l = lower(line);
    bool bad = l.find("error") != std::string::npos || l.find("warn") != std::string::npos ||
               l.find("fail") != std::string::npos;
    if (bad && line.find(module) != std::string::npos) return true;
  }
  return false;
}

TEST(Failure, wrong_password_target_goes_to_the_fail_log_while_the_other_converges) {
  Scenario s({.modules = {"t1", "t2"}, .maxConnections = 0, .wrongPasswordModules = {"t2"}});
  s.config.retry(2, 50, 100);
  s.startRelay({});
  ASSERT_TRUE(s.ready());

  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) {
    names.push_back("wp-file-" + std::to_string(i) + ".txt");
    writeFile(s.src / names.back(), "payload\n");
  }
  std::string diff = waitEqual(s.src, {s.daemon.moduleDir("t1")}, 30s);
  EXPECT_EQ(diff, "") << "the healthy target must not wait for the broken one";

  // Once its retries are spent, every path is in the fail log.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  std::string failText;
  auto allLogged = [&] {
    failText = fs::exists(s.failLog) ? readFile(s.failLog) : "";
    return std::all_of(names.begin(), names.end(), [&](const std::string& n) { return failText.find(n) != std::string::npos; });
  };
  while (!allLogged() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(allLogged()) << "fail log " << s.failLog << " holds:\n" << failText;
  struct stat st {};
  if (::stat(s.failLog.c_str(), &st) == 0) {
    EXPECT_EQ(st.st_mode & 077, 0u) << "the fail log must not be readable by others";
  }

  EXPECT_TRUE(logBlames(s.relay().output(), "t2")) << "fsrelay's log should name the failing target t2";
  EXPECT_GE(s.daemon.authFailures("t2"), 1);
  EXPECT_FALSE(fs::exists(s.daemon.moduleDir("t2") / names[0]));
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(Failure, target_down_then_back_up_catches_up) {
  Scenario s;
  s.config.retry(1000, 100, 1000);
  s.startRelay();
  ASSERT_TRUE(s.ready());
  writeFile(s.src / "before.txt", "before\n");
  ASSERT_TRUE(s.converged());

  s.daemon.stop();
  writeManyFiles(s.src, 20, "while-down-");
  fs::create_directories(s.src / "dir-while-down/sub");
  writeFile(s.src / "dir-while-down/sub/f", "x\n");
  fs::remove(s.src / "before.txt");
  std::this_thread::sleep_for(2s);  // several failed attempts meanwhile
  s.daemon.start();
  EXPECT_TRUE(s.converged(60s));
}

// A receiver killed mid-file leaves its temp file ".NAME.XXXXXX" beside NAME (seen when a test's daemon was
// SIGKILLed mid-burst). Stood in for here by placing such a file while the target is down: once the target
// takes changes again, the directories of the failed runs are swept, and nothing else is touched.
TEST(Failure, temp_files_a_killed_receiver_left_are_swept_once_the_target_is_back) {
  Scenario s;
  s.config.retry(1000, 100, 500);
  s.startRelay();
  ASSERT_TRUE(s.ready());
  fs::create_directories(s.src / "deep/er");
  writeFile(s.src / "deep/er/keep.txt", "kept\n");
  ASSERT_TRUE(s.converged());

  const fs::path target = s.daemon.moduleDir("t1");
  s.daemon.stop();
  writeFile(s.src / "deep/er/new.bin", "new\n");
  writeFile(s.src / "top.txt", "top\n");
  std::this_thread::sleep_for(1s);  // failed attempts meanwhile
  writeFile(target / "deep/er/.new.bin.Ab3dE9", "half a file");
  writeFile(target / ".top.txt.q0Z9xY", "half a file");
  // Not the sweep's: another directory than the failed runs', and a name that is no temp name.
  fs::create_directories(target / "elsewhere");
  writeFile(target / "elsewhere/.old.txt.Ab3dE9", "the operator's\n");
  writeFile(target / "deep/er/operator-notes", "the operator's\n");
  s.daemon.start();

  auto deadline = std::chrono::steady_clock::now() + 30s;
  while ((fs::exists(target / "deep/er/.new.bin.Ab3dE9") || fs::exists(target / ".top.txt.q0Z9xY")) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_FALSE(fs::exists(target / "deep/er/.new.bin.Ab3dE9")) << s.relay().output();
  EXPECT_FALSE(fs::exists(target / ".top.txt.q0Z9xY"));
  EXPECT_EQ(readFile(target / "deep/er/new.bin"), "new\n");
  EXPECT_EQ(readFile(target / "top.txt"), "top\n");
  EXPECT_TRUE(fs::exists(target / "elsewhere/.old.txt.Ab3dE9"));
  EXPECT_TRUE(fs::exists(target / "deep/er/operator-notes"));
  EXPECT_TRUE(s.terminatesCleanly());
}

}  // namespace
}  // namespace fsrelay::test

namespace fsrelay::test {
namespace {

// -r with one remote refusing us: the healthy one is synced and fsrelay reports ready, while the full sync
// to the broken one keeps being retried in the background.
TEST(Failure, dash_r_with_a_dead_remote_still_gets_ready_and_syncs_the_other) {
  Scenario s({.modules = {"t1", "t2"}, .maxConnections = 0, .wrongPasswordModules = {"t2"}});
  s.config.retry(2, 50, 100);
  writeFile(s.src / "existing.txt", "was there before\n");
  s.startRelay({"-r"});
  ASSERT_TRUE(s.ready());
  writeFile(s.src / "new.txt", "after ready\n");
  EXPECT_EQ(waitEqual(s.src, {s.daemon.moduleDir("t1")}, 30s), "");
  EXPECT_FALSE(fs::exists(s.daemon.moduleDir("t2") / "existing.txt"));
  EXPECT_TRUE(s.terminatesCleanly());
}

}  // namespace
}  // namespace fsrelay::test
