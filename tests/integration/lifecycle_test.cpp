// The command line and the process's life: --check, bad flags, missing plugins, SIGTERM flushing pending work.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/check_setup.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(Lifecycle, sigterm_flushes_pending_work_and_exits_0) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());

  writeManyFiles(s.src, 300);
  fs::create_directories(s.src / "nested/dir");
  writeManyFiles(s.src / "nested/dir", 50);
  writeFile(s.src / "last.txt", "written just before SIGTERM\n");
  // At once: these events are still queued or held (temp/write holds) when the signal arrives.
  ASSERT_TRUE(s.terminatesCleanly(60s)) << s.relay().outputTail(20);
  EXPECT_TRUE(s.equalNow()) << "everything written before SIGTERM must be on the targets when fsrelay exits";
}

TEST(Lifecycle, sigterm_when_idle_exits_0_promptly) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(s.terminatesCleanly(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(Cli, check_accepts_a_valid_config_with_exit_0) {
  CheckSetup c;
  RunResult r = c.run({"--check", "-o", c.configPath.string()});
  EXPECT_TRUE(r.status.success()) << r.status.describe() << "\n" << r.output;
}

TEST(Cli, check_prints_the_effective_settings_with_defaults_filled_in) {
  CheckSetup c;
  c.config.retry(3, 100, 400).exclude("(.*)\\.tmp");
  RunResult r = c.run({"--check", "-o", c.configPath.string()});
  ASSERT_TRUE(r.status.success()) << r.status.describe() << "\n" << r.output;
  for (const std::string line : {"  retry: limit=3 initialMs=100 maxMs=400\n",  // as set
                                 "  batching: tempHoldMs=1000 writeHoldMs=2000 maxPaths=100000\n",  // defaults
                                 "  exclude: (.*)\\.tmp\n", "  shutdown: timeoutSeconds=30\n",
                                 "  rsync: path=rsync (from PATH) fastHandshake=true transferTimeoutMs=0"})
    EXPECT_NE(r.output.find(line), std::string::npos) << "no '" << line << "' in:\n" << r.output;
}

TEST(Cli, check_rejects_a_bad_port_with_file_line_and_exit_2) {
  for (std::string bad : {"70000", "abc", "-1"}) {
    CheckSetup c;
    c.config.portText(bad);
    RunResult r = c.run({"--check", "-o", c.configPath.string()});
    EXPECT_TRUE(r.status.exited() && r.status.code() == 2) << "port=\"" << bad << "\": " << r.status.describe();
    std::string where = c.configPath.string() + ":" + std::to_string(c.config.lineOf("<userDefinedPort")) + ": error:";
    EXPECT_NE(r.output.find(where), std::string::npos) << "port=\"" << bad << "\": expected '" << where << "' in:\n"
                                                       << r.output;
  }
}

// sersync how-tos put the fail log under /usr/local/sersync/logs, gone once sersync is removed: found at
// --check, not at the first failed transfer.
TEST(Cli, check_rejects_a_fail_log_in_a_missing_folder_with_its_line) {
  CheckSetup c;
  c.config.failLog(c.tmp / "no-such-folder/rsync_fail_log.sh");
  RunResult r = c.run({"--check", "-o", c.configPath.string()});
  EXPECT_TRUE(r.status.exited() && r.status.code() == 2) << r.status.describe() << "\n" << r.output;
  const std::string where = c.configPath.string() + ":" + std::to_string(c.config.lineOf("<failLog")) + ": error:";
  EXPECT_NE(r.output.find(where), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no-such-folder does not exist"), std::string::npos) << r.output;
}

TEST(Cli, config_error_without_check_also_exits_2) {
  CheckSetup c;
  c.config.portText("not-a-port");
  RunResult r = c.run({"-o", c.configPath.string()});
  EXPECT_FALSE(r.timedOut);
  EXPECT_TRUE(r.status.exited() && r.status.code() == 2) << r.status.describe() << "\n" << r.output;
  EXPECT_NE(r.output.find(c.configPath.string() + ":"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("ready:"), std::string::npos);
}

TEST(Cli, unknown_flag_fails_with_a_message_naming_it) {
  CheckSetup c;
  RunResult r = c.run({"--definitely-not-a-flag", "-o", c.configPath.string()});
  EXPECT_FALSE(r.timedOut);
  EXPECT_TRUE(r.status.exited() && r.status.code() != 0) << r.status.describe();
  EXPECT_NE(r.output.find("definitely-not-a-flag"), std::string::npos) << r.output;
}

TEST(Cli, missing_config_file_fails_with_a_message_naming_it) {
  CheckSetup c;
  fs::path missing = c.tmp / "no-such-confxml.xml";
  RunResult r = c.run({"--check", "-o", missing.string()});
  EXPECT_TRUE(r.status.exited() && r.status.code() != 0) << r.status.describe();
  EXPECT_NE(r.output.find(missing.string()), std::string::npos) << r.output;
}

// A <plugins dir> that does not exist is a configuration mistake, reported like any other.
TEST(Cli, missing_plugin_dir_fails_with_a_message_naming_it) {
  CheckSetup c;
  fs::path missing = c.tmp / "no-such-plugin-dir";
  c.config.pluginDir(missing);
  RunResult r = c.run({"-o", c.configPath.string()}, 10s);
  EXPECT_FALSE(r.timedOut) << "fsrelay kept running with a plugin dir that does not exist:\n" << r.output;
  EXPECT_TRUE(r.status.exited() && r.status.code() != 0) << r.status.describe();
  EXPECT_NE(r.output.find(missing.string()), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("ready:"), std::string::npos) << r.output;
}

// A binary copied away from its ../lib/fsrelay/plugins finds no rsync plugin: it says so and stops.
TEST(Cli, binary_without_its_plugins_fails_with_a_message) {
  CheckSetup c;
  fs::path bin = c.tmp.mkdir("bin") / "fsrelay";
  fs::copy_file(fsrelayBinary(), bin);
  fs::permissions(bin, fs::perms::owner_all);
  c.config.write(c.configPath);
  RunResult r = runProgram({bin.string(), "-o", c.configPath.string()}, c.tmp / "out.log", 30s);
  EXPECT_FALSE(r.timedOut) << "fsrelay kept running without its plugins:\n" << r.output;
  EXPECT_TRUE(r.status.exited() && r.status.code() != 0) << r.status.describe();
  EXPECT_NE(r.output.find("plugin"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rsync"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("ready:"), std::string::npos) << r.output;
}

TEST(Cli, help_and_version_exit_0) {
  CheckSetup c;
  RunResult help = c.run({"--help"});
  EXPECT_TRUE(help.status.success()) << help.output;
  EXPECT_NE(help.output.find("-o"), std::string::npos) << help.output;
  RunResult version = c.run({"--version"});
  EXPECT_TRUE(version.status.success()) << version.output;
  EXPECT_NE(version.output.find("fsrelay"), std::string::npos) << version.output;
}

}  // namespace
}  // namespace fsrelay::test
