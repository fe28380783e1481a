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
  // The launcher returns successfully once the daemon it leaves behind is watching (the -r sync may go on).
  ASSERT_FALSE(r.timedOut) << r.output;
  ASSERT_TRUE(r.status.exited() && r.status.code() == 0) << r.status.describe() << "\n" << r.output;
  EXPECT_NE(readFile(logFile).find("info: watching " + s.src.string()), std::string::npos)
      << "the launcher returned before the daemon was watching:\n" << readFile(logFile);
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

TEST(Daemonize, a_daemon_that_cannot_start_makes_dash_d_fail_naming_its_log) {
  Scenario s;
  fs::path logFile = s.tmp.path() / "daemon.log";
  s.config.write(s.configPath);
  RunResult r = runProgram({fsrelayBinary().string(), "-d", "-o", s.configPath.string(), "--pid-file",
                            (s.tmp.path() / "no-such-folder/fsrelay.pid").string(), "--log-file", logFile.string()},
                           s.tmp.path() / "launcher.log", 30s);
  ASSERT_FALSE(r.timedOut) << r.output;
  EXPECT_TRUE(r.status.exited() && r.status.code() == 1) << r.status.describe() << "\n" << r.output;
  EXPECT_NE(r.output.find("see " + logFile.string()), std::string::npos) << r.output;
  EXPECT_NE(readFile(logFile).find("cannot write pid file"), std::string::npos) << readFile(logFile);
}

}  // namespace
}  // namespace fsrelay::test
