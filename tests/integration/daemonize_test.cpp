// -d: fsrelay detaches, writes its pid file, keeps syncing, and stops cleanly on SIGTERM to that pid.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/process.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

TEST(Daemonize, dash_d_writes_pid_file_syncs_and_stops_on_sigterm) {
  Scenario s;
  fs::path pidFile = s.tmp.path() / "fsrelay.pid";
  fs::path logFile = s.tmp.path() / "daemon.log";
  writeFile(s.src / "before.txt", "before\n");
  s.config.write(s.configPath);
  RunResult r = runProgram({fsrelayBinary().string(), "-dr", "-o", s.configPath.string(), "--pid-file",
                            pidFile.string(), "--log-file", logFile.string()},
                           s.tmp.path() / "launcher.log", 30s);
  // The launcher returns at once, successfully, leaving the daemon behind.
  ASSERT_FALSE(r.timedOut) << r.output;
  ASSERT_TRUE(r.status.exited() && r.status.code() == 0) << r.status.describe() << "\n" << r.output;
  pid_t pid = 0;
  for (int i = 0; i < 100 && pid == 0; ++i) {
    std::ifstream(pidFile) >> pid;
    if (pid == 0) std::this_thread::sleep_for(50ms);
  }
  ASSERT_GT(pid, 0) << "no pid in " << pidFile;
  // Whatever happens below, the detached daemon does not outlive the test.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (::kill(pid, 0) == 0) ::kill(pid, SIGKILL);
    }
  } reaper{pid};
  ASSERT_TRUE(alive(pid));
  EXPECT_TRUE(s.converged());
  writeFile(s.src / "after.txt", "after\n");
  EXPECT_TRUE(s.converged());

  ::kill(pid, SIGTERM);
  for (int i = 0; i < 200 && alive(pid); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(alive(pid)) << "the daemon did not stop on SIGTERM";
  if (alive(pid)) ::kill(pid, SIGKILL);
  EXPECT_FALSE(fs::exists(pidFile)) << "pid file left behind";
  std::ifstream log(logFile);
  std::string text((std::istreambuf_iterator<char>(log)), {});
  EXPECT_NE(text.find("ready:"), std::string::npos) << text;
  // The detached daemon's stderr goes to its log file: a sanitizer build's reports land there.
  const std::string report = sanitizerReport(text);
  EXPECT_TRUE(report.empty()) << "the daemon printed a sanitizer report in " << logFile << ":\n" << report;
}

}  // namespace
}  // namespace fsrelay::test
