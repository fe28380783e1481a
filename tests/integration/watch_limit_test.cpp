// The inotify watch limit reached: stop with the count and the sysctl, or (<watchLimit action="scan">) carry on
// and cover the unwatched directories by scans. The daemon runs in its own user namespace whose
// max_inotify_watches is lowered (user namespaces have their own inotify limits): nothing on the machine changes.
#include <gtest/gtest.h>

#include <httplib.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/scenario.hpp"
#include "tests/support/watcher_env.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kDirs = 30;
constexpr int kLimit = 12;  // far fewer than the 1 + 2 * kDirs directories

// Points FSRELAY_BIN, for this test only, at a script that runs the staged daemon in a new user namespace
// whose inotify watch limit is kLimit.
class LimitedBinary {
 public:
  explicit LimitedBinary(const fs::path& dir) {
    real_ = fsrelayBinary();
    const char* old = std::getenv("FSRELAY_BIN");
    if (old) old_ = old;
    fs::path script = dir / "fsrelay-limited.sh";
    std::ofstream(script) << "#!/bin/sh\n"
                             "exec unshare --user --map-root-user sh -c 'echo "
                          << kLimit << " > /proc/sys/user/max_inotify_watches && exec \"$0\" \"$@\"' \"" << real_.string()
                          << "\" \"$@\"\n";
    ::chmod(script.c_str(), 0755);
    ::setenv("FSRELAY_BIN", script.c_str(), 1);
  }
  ~LimitedBinary() {
    if (old_.empty())
      ::unsetenv("FSRELAY_BIN");
    else
      ::setenv("FSRELAY_BIN", old_.c_str(), 1);
  }

 private:
  fs::path real_;
  std::string old_;
};

void makeTree(const fs::path& src) {
  for (int i = 0; i < kDirs; ++i) {
    fs::create_directories(src / ("a" + std::to_string(i)) / "sub");
    writeFile(src / ("a" + std::to_string(i)) / "sub" / "old.txt", "old\n");
  }
}

// The limit is inotify's: a fanotify root holds no per-directory watches (and a user namespace may not mark
// a file system), so the fanotify copy of the suite has nothing to test here.
#define SKIP_UNDER_FANOTIFY() \
  if (suiteUsesFanotify()) GTEST_SKIP() << "max_user_watches limits inotify only; the inotify copy of this test covers it"

TEST(WatchLimit, reached_at_start_stops_with_the_count_and_the_sysctl) {
  SKIP_UNDER_FANOTIFY();
  Scenario s;
  LimitedBinary bin(s.tmp.path());
  makeTree(s.src);
  auto& relay = s.startRelay({});
  auto exit = relay.waitExit(20s);
  ASSERT_TRUE(exit.has_value()) << "fsrelay kept running with too few watches";
  EXPECT_FALSE(exit->success());
  std::string log = relay.output();
  EXPECT_NE(log.find("fs.inotify.max_user_watches"), std::string::npos) << log;
  EXPECT_NE(log.find("needs " + std::to_string(1 + 2 * kDirs) + " watches"), std::string::npos) << log;
  EXPECT_NE(log.find("sysctl -w fs.inotify.max_user_watches="), std::string::npos) << log;
}

TEST(WatchLimit, scan_action_covers_unwatched_directories_and_status_lists_them) {
  SKIP_UNDER_FANOTIFY();
  Scenario s;
  LimitedBinary bin(s.tmp.path());
  makeTree(s.src);
  const int port = probeFreePort();
  s.config.watchLimit(R"(action="scan" scanSeconds="1")")
      .host("127.0.0.1", port)
      .enablePlugin("http")
      .pluginSection("<plugin name=\"http\"/>");
  auto& relay = s.startRelay({"-r"});
  ASSERT_TRUE(s.ready(30s));
  EXPECT_TRUE(relay.waitForLine("are not watched but scanned every 1 s", 1s)) << relay.output();
  ASSERT_TRUE(s.converged());

  // New, changed and deleted files in every directory, watched or not: the scans bring the rest.
  for (int i = 0; i < kDirs; ++i) {
    fs::path sub = s.src / ("a" + std::to_string(i)) / "sub";
    writeFile(sub / "new.txt", "new " + std::to_string(i) + "\n");
    fs::remove(sub / "old.txt");
  }
  fs::create_directories(s.src / "a3" / "sub" / "deeper");
  writeFile(s.src / "a3" / "sub" / "deeper" / "f.txt", "deep\n");
  EXPECT_TRUE(s.converged(20s));

  ASSERT_TRUE(relay.waitForLine("http endpoint listening on", 5s));
  httplib::Client client("127.0.0.1", port);
  auto status = client.Get("/status");
  ASSERT_TRUE(status) << httplib::to_string(status.error());
  const std::string& body = status->body;
  auto at = body.find("\"unwatched_count\":");
  ASSERT_NE(at, std::string::npos) << body;
  int count = std::atoi(body.c_str() + at + 18);
  EXPECT_GT(count, 0) << body;
  EXPECT_NE(body.find("\"unwatched\":[\"" + s.src.string() + "/"), std::string::npos) << body;
  EXPECT_TRUE(s.terminatesCleanly());
}

}  // namespace
}  // namespace fsrelay::test
