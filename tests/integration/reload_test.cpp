// SIGHUP: a remote added and an exclude changed take effect without losing queued changes; a broken file is
// refused with its error while the running configuration keeps working.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <string>

#include "tests/support/fault_tmpfs.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string logSince(Process& p, std::size_t from) { return p.output().substr(std::min(from, p.outputSize())); }

// The Scenario's config, but pushing only to `modules` of its daemon.
ConfigWriter configFor(Scenario& s, std::vector<std::string> modules) {
  ConfigWriter c;
  c.localpath(s.src, std::move(modules))
      .auth(s.daemon.user(), s.daemon.passwordFile())
      .port(s.daemon.port())
      .failLog(s.failLog)
      .stateDir(s.tmp / "state");
  return c;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

TEST(Reload, sighup_adds_a_remote_and_keeps_the_changes_queued_at_that_moment) {
  TmpdirOnTmpfs memory(256ull << 20);  // 8,000 files written and removed: in memory, not on the slow disk
  Scenario s(RsyncDaemonOptions{.modules = {"t1", "t2", "t3"}});
  s.config = configFor(s, {"t1", "t2"});
  writeManyFiles(s.src, 20, "old");
  s.startRelay({"-r"});
  ASSERT_TRUE(s.ready());
  ASSERT_EQ(waitEqual(s.src, {s.daemon.moduleDir("t1"), s.daemon.moduleDir("t2")}, 30s), "");

  // A burst, and the reload while most of it is still queued, in the coalescer or not even read.
  fs::create_directories(s.src / "burst");
  writeManyFiles(s.src / "burst", 2000, "b");
  fs::remove(s.src / "old3.txt");
  s.config = configFor(s, {"t1", "t2", "t3"});
  s.config.write(s.configPath);
  const std::size_t from = s.relay().outputSize();
  s.relay().signal(SIGHUP);
  ASSERT_TRUE(s.relay().waitForLine("reloaded ", 60s, from)) << logSince(s.relay(), from);
  writeManyFiles(s.src, 10, "after");

  // t3 is new: started with -r, it gets a full sync; t1 and t2 get everything the burst queued.
  EXPECT_TRUE(s.converged(60s));
  std::string log = logSince(s.relay(), from);
  EXPECT_NE(log.find("reload: new target rsync " + s.src.string() + " -> "), std::string::npos) << log;
  EXPECT_TRUE(s.relay().running()) << "a reload is not a restart of the process";
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(Reload, sighup_applies_a_changed_exclude) {
  Scenario s;
  s.config.exclude("(.*)\\.log");
  s.startRelay({"-r"});
  ASSERT_TRUE(s.ready());
  writeFile(s.src / "a.log", "excluded before\n");
  writeFile(s.src / "a.txt", "sent\n");
  auto noLogs = [](std::string_view rel, EntryType) { return endsWith(rel, ".log"); };
  ASSERT_TRUE(s.converged(30s, noLogs));

  s.config = configFor(s, {"t1", "t2"});
  s.config.exclude("(.*)\\.bak");
  s.config.write(s.configPath);
  const std::size_t from = s.relay().outputSize();
  s.relay().signal(SIGHUP);
  ASSERT_TRUE(s.relay().waitForLine("reloaded ", 30s, from)) << logSince(s.relay(), from);
  // The new engine's full sync (a.log's directory changed since its checkpoint) lists what it excludes when
  // it starts; a file made while that rsync runs is not on the list (docs/reload.md). So wait for it.
  ASSERT_TRUE(s.relay().waitForLine("ready:", 30s, s.relay().output().find("reloaded ", from)));
  writeFile(s.src / "c.log", "sent after the reload\n");
  writeFile(s.src / "d.bak", "excluded after the reload\n");
  writeFile(s.src / "e.txt", "sent\n");
  // a.log, excluded before, is sent by the new engine's catch-up (it changed within the checkpoint's margin).
  auto expected = [](std::string_view rel, EntryType) { return endsWith(rel, ".bak"); };
  EXPECT_TRUE(s.converged(30s, expected));
  for (const auto& t : s.targets()) {
    EXPECT_TRUE(fs::exists(t / "c.log")) << t;
    EXPECT_FALSE(fs::exists(t / "d.bak")) << t;
  }
}

TEST(Reload, an_invalid_config_is_refused_with_its_error_and_the_old_one_keeps_running) {
  Scenario s;
  s.startRelay({"-r"});
  ASSERT_TRUE(s.ready());
  const ConfigWriter good = s.config;

  // Not XML any more.
  std::string text = good.text();
  writeFile(s.configPath, text.substr(0, text.size() / 2));
  std::size_t from = s.relay().outputSize();
  s.relay().signal(SIGHUP);
  ASSERT_TRUE(s.relay().waitForLine("the running configuration stays in force", 30s, from))
      << logSince(s.relay(), from);
  std::string log = logSince(s.relay(), from);
  EXPECT_NE(log.find(s.configPath.string() + ":"), std::string::npos) << "the error names the file:\n" << log;
  EXPECT_NE(log.find("error"), std::string::npos) << log;
  writeFile(s.src / "still.txt", "the old configuration still pushes\n");
  EXPECT_TRUE(s.converged(30s));

  // Well-formed, but naming a plugin that does not exist: only building it finds that.
  ConfigWriter missing = good;
  missing.enablePlugin("nosuchplugin");
  missing.write(s.configPath);
  from = s.relay().outputSize();
  s.relay().signal(SIGHUP);
  ASSERT_TRUE(s.relay().waitForLine("the running configuration stays in force", 30s, from))
      << logSince(s.relay(), from);
  log = logSince(s.relay(), from);
  EXPECT_NE(log.find("nosuchplugin"), std::string::npos) << log;
  EXPECT_EQ(log.find("reloaded "), std::string::npos) << log;
  writeFile(s.src / "still2.txt", "and still\n");
  EXPECT_TRUE(s.converged(30s));
  EXPECT_TRUE(s.terminatesCleanly());
}

// The http plugin's port is released by the old engine and bound by the new one; a changed port applies.
TEST(Reload, sighup_moves_the_http_endpoint_to_its_new_port) {
  Scenario s;
  const int before = probeFreePort();
  s.config.enablePlugin("http").host("127.0.0.1", before);
  s.startRelay({"-r"});
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.relay().waitForLine("http endpoint listening on", 5s));
  ASSERT_TRUE(httplib::Client("127.0.0.1", before).Get("/status"));

  // First the same port again (the old engine must have let it go), then another one.
  for (int port : {before, probeFreePort()}) {
    s.config.host("127.0.0.1", port);
    s.config.write(s.configPath);
    const std::size_t from = s.relay().outputSize();
    s.relay().signal(SIGHUP);
    ASSERT_TRUE(s.relay().waitForLine("reloaded ", 30s, from)) << logSince(s.relay(), from);
    ASSERT_TRUE(s.relay().waitForLine("http endpoint listening on", 5s, from)) << logSince(s.relay(), from);
    auto status = httplib::Client("127.0.0.1", port).Get("/status");
    ASSERT_TRUE(status) << "port " << port << ": " << httplib::to_string(status.error());
    EXPECT_EQ(status->status, 200);
  }
  writeFile(s.src / "after.txt", "x\n");
  EXPECT_TRUE(s.converged(30s));
  EXPECT_TRUE(s.terminatesCleanly());
}

}  // namespace
}  // namespace fsrelay::test
