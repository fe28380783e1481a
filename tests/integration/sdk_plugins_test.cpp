// The installed daemon against the test-only plugins of tests/plugins: refused stamps, writable files, a
// plugin that throws out of deliver() while rsync keeps going.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sdk/include/fsrelay/plugin.hpp"
#include "tests/support/process.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kTestPlugins = FSRELAY_TEST_PLUGIN_DIR;
const std::string kHostApi = std::to_string(FSRELAY_SDK_API_MAJOR) + "." + std::to_string(FSRELAY_SDK_API_MINOR);

std::vector<std::string> linesWith(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

// fsrelay -m NAME --plugin-dir DIR with a config watching tmp/src (no rsync daemon: the plugin is refused first).
RunResult runPluginOnly(const TempDir& tmp, const std::string& name, const fs::path& pluginDir,
                        const std::string& section = "") {
  const fs::path src = tmp.mkdir("src");
  ConfigWriter config;
  config.localpath(src, {"unused"}).failLog(tmp / "fail.log").stateDir(tmp.mkdir("state"));
  if (!section.empty()) config.pluginSection(section);
  config.write(tmp / "confxml.xml");
  return runProgram({fsrelayBinary().string(), "-m", name, "--plugin-dir", pluginDir.string(), "-o",
                     (tmp / "confxml.xml").string()},
                    tmp / "fsrelay.log", 20s, SpawnOptions{tmp.path(), {}});
}

// Exactly one line names the file, and it holds every one of needles.
::testing::AssertionResult oneClearLine(const RunResult& r, const std::string& file,
                                        const std::vector<std::string>& needles) {
  if (r.timedOut) return ::testing::AssertionFailure() << "fsrelay did not exit:\n" << r.output;
  if (r.status.success()) return ::testing::AssertionFailure() << "fsrelay exited 0:\n" << r.output;
  const auto lines = linesWith(r.output, file);
  if (lines.size() != 1)
    return ::testing::AssertionFailure() << lines.size() << " lines name " << file << ", expected one:\n" << r.output;
  for (const auto& n : needles)
    if (lines[0].find(n) == std::string::npos)
      return ::testing::AssertionFailure() << "the line does not say '" << n << "': " << lines[0];
  return ::testing::AssertionSuccess();
}

TEST(SdkPlugins, newer_api_minor_is_refused_with_both_versions) {
  TempDir tmp("fsrelay-sdk");
  RunResult r = runPluginOnly(tmp, "newminor", kTestPlugins);
  EXPECT_TRUE(oneClearLine(r, (kTestPlugins / "fsrelay-newminor.so").string(), {"1.99", kHostApi}));
}

TEST(SdkPlugins, other_abi_tag_is_refused_with_both_tags) {
  TempDir tmp("fsrelay-sdk");
  RunResult r = runPluginOnly(tmp, "badabi", kTestPlugins);
  EXPECT_TRUE(oneClearLine(r, (kTestPlugins / "fsrelay-badabi.so").string(), {"foo", FSRELAY_SDK_ABI_TAG}));
}

TEST(SdkPlugins, other_api_major_is_refused_with_both_versions) {
  TempDir tmp("fsrelay-sdk");
  RunResult r = runPluginOnly(tmp, "nomajor", kTestPlugins);
  EXPECT_TRUE(oneClearLine(r, (kTestPlugins / "fsrelay-nomajor.so").string(), {"2.0", kHostApi}));
}

TEST(SdkPlugins, plugin_file_writable_by_group_or_others_is_refused) {
  for (fs::perms extra : {fs::perms::group_write, fs::perms::others_write}) {
    TempDir tmp("fsrelay-sdk");
    const fs::path dir = tmp.mkdir("plugins");
    const fs::path copy = dir / "fsrelay-throwing.so";
    fs::copy_file(kTestPlugins / "fsrelay-throwing.so", copy);
    fs::permissions(copy, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read | extra);
    RunResult r = runPluginOnly(tmp, "throwing", dir,
                                "<plugin name=\"throwing\"><record file=\"" + xmlEscape((tmp / "rec").string()) +
                                    "\"/></plugin>");
    EXPECT_TRUE(oneClearLine(r, copy.string(), {"writable"}));
    EXPECT_FALSE(fs::exists(tmp / "rec"));
  }
}

TEST(SdkPlugins, list_plugins_shows_good_ones_and_why_bad_ones_are_refused) {
  TempDir tmp("fsrelay-sdk");
  RunResult r = runProgram({fsrelayBinary().string(), "--list-plugins", "--plugin-dir", kTestPlugins.string()},
                           tmp / "list.log", 20s);
  ASSERT_FALSE(r.timedOut);
  const auto throwing = linesWith(r.output, "fsrelay-throwing.so");
  ASSERT_EQ(throwing.size(), 1u) << r.output;
  EXPECT_NE(throwing[0].find("0.0.1"), std::string::npos) << throwing[0];
  const auto newminor = linesWith(r.output, "fsrelay-newminor.so");
  ASSERT_EQ(newminor.size(), 1u) << r.output;
  EXPECT_NE(newminor[0].find("1.99"), std::string::npos) << newminor[0];
  const auto badabi = linesWith(r.output, "fsrelay-badabi.so");
  ASSERT_EQ(badabi.size(), 1u) << r.output;
  EXPECT_NE(badabi[0].find("foo"), std::string::npos) << badabi[0];
}

// Polls file until it contains needle.
::testing::AssertionResult fileContains(const fs::path& file, const std::string& needle,
                                        std::chrono::milliseconds timeout = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string text;
  for (;;) {
    text = fs::exists(file) ? readFile(file) : "";
    if (text.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() >= deadline)
      return ::testing::AssertionFailure() << file << " has no '" << escapeName(needle) << "' after "
                                           << timeout.count() << " ms; it holds:\n" << escapeName(text);
    std::this_thread::sleep_for(50ms);
  }
}

// The throwing plugin next to rsync, loaded through the config's <fsrelay><plugins dir>.
void enableThrowing(Scenario& s, const fs::path& record, int boomTimes) {
  s.config.enablePlugin("throwing")
      .pluginDir(kTestPlugins)
      .pluginSection("<plugin name=\"throwing\"><record file=\"" + xmlEscape(record.string()) +
                     "\"/><boom times=\"" + std::to_string(boomTimes) + "\"/></plugin>");
}

TEST(SdkPlugins, exception_in_deliver_is_contained_and_failed_by_the_retry_policy) {
  Scenario s;
  const fs::path record = s.tmp / "record.txt";
  enableThrowing(s, record, 0);
  s.config.retry(2, 50, 100);
  s.startRelay({});
  ASSERT_TRUE(s.ready());

  writeFile(s.src / "before.txt", "1\n");
  ASSERT_TRUE(fileContains(record, "upsert\tbefore.txt\n"));

  const std::size_t mark = s.relay().outputSize();
  writeFile(s.src / "boom.txt", "2\n");
  EXPECT_TRUE(s.relay().waitForLine("kaboom on batch", 15s, mark)) << "the exception's message is logged";
  EXPECT_TRUE(fileContains(s.failLog, "boom.txt")) << "retries spent: the path is in the fail log";

  writeFile(s.src / "after.txt", "3\n");
  EXPECT_TRUE(fileContains(record, "upsert\tafter.txt\n")) << "later batches still reach the plugin";
  EXPECT_TRUE(s.converged()) << "rsync alongside is not held up (boom.txt included)";
  EXPECT_TRUE(s.relay().running());
  EXPECT_EQ(readFile(record).find("boom.txt"), std::string::npos);
  // The plugin keeps the host's metrics text next to its record after every delivered batch: the throwing
  // target's exception counter is not zero.
  bool counted = false;
  for (const auto& line : linesWith(readFile(record.string() + ".metrics"), "plugin_exceptions"))
    counted = counted || (line[0] != '#' && line.find("target=\"throwing ") != std::string::npos &&
                          line.substr(line.rfind(' ') + 1) != "0");
  EXPECT_TRUE(counted) << "the exceptions are counted per target:\n" << readFile(record.string() + ".metrics");
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(SdkPlugins, exception_once_is_retried_and_then_delivered) {
  Scenario s;
  const fs::path record = s.tmp / "record.txt";
  enableThrowing(s, record, 1);
  s.config.retry(8, 50, 200);
  s.startRelay({});
  ASSERT_TRUE(s.ready());

  writeFile(s.src / "boom-once.txt", "x\n");
  EXPECT_TRUE(s.relay().waitForLine("kaboom on batch", 15s));
  EXPECT_TRUE(fileContains(record, "upsert\tboom-once.txt\n")) << "the retry went through";
  EXPECT_TRUE(s.converged());
  EXPECT_FALSE(fs::exists(s.failLog) && readFile(s.failLog).find("boom-once.txt") != std::string::npos)
      << "a retried success leaves nothing in the fail log";
  EXPECT_TRUE(s.terminatesCleanly());
}

}  // namespace
}  // namespace fsrelay::test
