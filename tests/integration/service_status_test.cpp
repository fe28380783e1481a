// `fsrelay status` against a running daemon over its control socket: in sync (0), behind/failing (1), no
// daemon (3), --json, the socket's mode, a reload in between and its removal at stop.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/support/scenario.hpp"
#include "tests/support/watcher_env.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

RunResult status(Scenario& s, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {fsrelayBinary().string(), "status", "-o", s.configPath.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return runProgram(argv, s.tmp / "status.log", 30s, SpawnOptions{s.cwd, {}});
}

int code(const RunResult& r) { return r.status.exited() ? r.status.code() : -1; }

std::string targetName(Scenario& s, const std::string& module) {
  return "rsync " + s.src.string() + " -> " + s.daemon.user() + "@127.0.0.1::" + module;
}

TEST(ServiceStatus, in_sync_text_and_json_survive_a_reload_and_the_socket_goes_at_stop) {
  Scenario s;
  writeManyFiles(s.src, 20);
  s.startRelay({"-r"});
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged());

  const fs::path socket = s.tmp / "state" / "control.sock";
  struct stat st;
  ASSERT_EQ(::lstat(socket.c_str(), &st), 0) << socket;
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // Delivery is asynchronous: the state line may lag the target trees by a moment.
  RunResult r = status(s);
  for (int i = 0; i < 50 && code(r) != 0; ++i, r = status(s)) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(code(r), 0) << r.output;
  EXPECT_NE(r.output.find("state: in sync (2 of 2 targets in sync)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("root " + s.src.string() + ": " +
                          (suiteUsesFanotify() ? "watched with fanotify (one mark on its file system)"
                                               : "1 directories watched")),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("  " + targetName(s, "t1") + ": in sync; last transfer "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  " + targetName(s, "t2") + ": in sync; last transfer "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fail log " + s.failLog.string() + ": 0 entries"), std::string::npos) << r.output;

  RunResult j = status(s, {"--json"});
  EXPECT_EQ(code(j), 0) << j.output;
  EXPECT_TRUE(j.output.starts_with("{")) << j.output;
  EXPECT_NE(j.output.find("\"targets\":["), std::string::npos) << j.output;
  EXPECT_NE(j.output.find("\"ready\":true"), std::string::npos) << j.output;
  const std::string backend = suiteUsesFanotify() ? "fanotify" : "inotify";
  EXPECT_NE(j.output.find("\"watcher\":\"" + backend + "\""), std::string::npos) << j.output;

  // One server for the process: after a reload it answers from the new engine.
  const std::size_t from = s.relay().outputSize();
  s.relay().signal(SIGHUP);
  ASSERT_TRUE(s.relay().waitForLine("reloaded ", 30s, from));
  ASSERT_TRUE(s.relay().waitForLine("ready:", 30s, from));
  r = status(s);
  for (int i = 0; i < 50 && code(r) != 0; ++i, r = status(s)) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(code(r), 0) << r.output;

  ASSERT_TRUE(s.terminatesCleanly());
  EXPECT_FALSE(fs::exists(fs::symlink_status(socket))) << "control socket left behind after SIGTERM";
  RunResult none = status(s);
  EXPECT_EQ(code(none), 3) << none.output;
  EXPECT_NE(none.output.find("no fsrelay answers on " + socket.string()), std::string::npos) << none.output;
  EXPECT_NE(none.output.find("fsrelay -d -r -o "), std::string::npos) << "says how to start one: " << none.output;
}

TEST(ServiceStatus, a_dead_remote_makes_status_exit_1_naming_the_target_as_failing) {
  Scenario s(RsyncDaemonOptions{.modules = {"t1"}});
  s.config.retry(100, 100, 500);  // keep retrying quickly while the remote is down
  s.startRelay({"-r"});
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged());

  s.daemon.stop();
  writeFile(s.src / "while-down.txt", "queued\n");
  RunResult r = status(s);
  for (int i = 0; i < 100 && r.output.find("failing (") == std::string::npos; ++i, r = status(s))
    std::this_thread::sleep_for(100ms);
  EXPECT_EQ(code(r), 1) << r.output;
  EXPECT_NE(r.output.find("state: not in sync (0 of 1 targets in sync)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  " + targetName(s, "t1") + ": failing ("), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 queued"), std::string::npos) << r.output;
  RunResult j = status(s, {"--json"});
  EXPECT_EQ(code(j), 1) << j.output;
  EXPECT_TRUE(j.output.starts_with("{")) << j.output;

  s.daemon.start();
  ASSERT_TRUE(s.converged(60s));
  r = status(s);
  for (int i = 0; i < 100 && code(r) != 0; ++i, r = status(s)) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(code(r), 0) << "back in sync once the remote is back:\n" << r.output;
  EXPECT_TRUE(s.terminatesCleanly());
}

}  // namespace
}  // namespace fsrelay::test
