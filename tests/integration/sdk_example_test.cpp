// sdk/examples/jsonl-log built out of tree from the staged install prefix, then loaded by the installed daemon.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

std::string cmakeCommand() {
#ifdef FSRELAY_CMAKE_COMMAND
  return FSRELAY_CMAKE_COMMAND;
#else
  return "cmake";
#endif
}

// The prefix the install_stage fixture installed into: <stage>/bin/fsrelay -> <stage>.
fs::path stagePrefix() { return fsrelayBinary().parent_path().parent_path(); }

// What a third party does: configure against the installed prefix only, build. *pluginDir gets the folder
// holding fsrelay-jsonl.so.
::testing::AssertionResult buildExample(const TempDir& tmp, fs::path* pluginDir) {
  const fs::path source = fs::path(FSRELAY_SOURCE_DIR) / "sdk/examples/jsonl-log";
  const fs::path build = tmp / "example-build";
  const std::vector<std::vector<std::string>> steps = {
      {cmakeCommand(), "-S", source.string(), "-B", build.string(), "-DCMAKE_PREFIX_PATH=" + stagePrefix().string()},
      {cmakeCommand(), "--build", build.string()},
  };
  for (const auto& argv : steps) {
    RunResult r = runProgram(argv, tmp / "example-build.log", 120s);
    if (r.timedOut || !r.status.success())
      return ::testing::AssertionFailure() << argv[1] << " step of the example failed (" << r.status.describe()
                                           << "):\n" << r.output;
  }
  *pluginDir = build / "lib/fsrelay/plugins";
  if (!fs::exists(*pluginDir / "fsrelay-jsonl.so"))
    return ::testing::AssertionFailure() << "the build made no " << (*pluginDir / "fsrelay-jsonl.so");
  return ::testing::AssertionSuccess();
}

// Polls file until it contains every needle, in any order.
::testing::AssertionResult fileContains(const fs::path& file, const std::vector<std::string>& needles,
                                        std::chrono::milliseconds timeout = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string text;
  for (;;) {
    text = fs::exists(file) ? readFile(file) : "";
    std::string missing;
    for (const auto& n : needles)
      if (text.find(n) == std::string::npos) missing = n;
    if (missing.empty()) return ::testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() >= deadline)
      return ::testing::AssertionFailure() << file << " has no " << escapeName(missing) << " after "
                                           << timeout.count() << " ms; it holds:\n" << escapeName(text);
    std::this_thread::sleep_for(50ms);
  }
}

std::string jsonlSection(const fs::path& output, const std::string& extraAttrs = "") {
  return "<plugin name=\"jsonl\"" + extraAttrs + "><output file=\"" + xmlEscape(output.string()) + "\"/></plugin>";
}

// One test for what needs no daemon run, so the example is built once for all of it.
TEST(SdkExample, builds_out_of_tree_installs_0755_and_is_listed_with_its_version) {
  TempDir tmp("fsrelay-sdk");
  fs::path pluginDir;
  ASSERT_TRUE(buildExample(tmp, &pluginDir));

  RunResult r = runProgram({cmakeCommand(), "--install", (tmp / "example-build").string(), "--prefix",
                            (tmp / "prefix").string()},
                           tmp / "install.log", 60s);
  ASSERT_TRUE(r.status.success()) << r.output;
  struct stat st {};
  ASSERT_EQ(::stat((tmp / "prefix/lib/fsrelay/plugins/fsrelay-jsonl.so").c_str(), &st), 0) << r.output;
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "the loader refuses plugin files that group or others may write";

  r = runProgram({fsrelayBinary().string(), "--list-plugins", "--plugin-dir", pluginDir.string()}, tmp / "list.log",
                 20s);
  EXPECT_TRUE(r.status.success()) << r.output;
  std::istringstream lines(r.output);
  bool found = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("jsonl") == std::string::npos || line.find("fsrelay-jsonl.so") == std::string::npos) continue;
    found = true;
    EXPECT_NE(line.find("1.0.0"), std::string::npos) << "the plugin's own version: " << line;
  }
  EXPECT_TRUE(found) << "no line names jsonl and its file:\n" << r.output;
  EXPECT_NE(r.output.find("fsrelay-rsync.so"), std::string::npos) << "the install's own plugins are listed too:\n"
                                                                   << r.output;
}

TEST(SdkExample, plugin_only_mode_writes_every_event_as_a_json_line) {
  Scenario s;
  fs::path pluginDir;
  ASSERT_TRUE(buildExample(s.tmp, &pluginDir));
  const fs::path out = s.tmp / "events.jsonl";
  s.config.pluginSection(jsonlSection(out));
  s.startRelay({"-r", "-m", "jsonl", "--plugin-dir", pluginDir.string()});
  ASSERT_TRUE(s.ready());
  const std::string root = "\"root\":\"" + s.src.string() + "\"";
  EXPECT_TRUE(fileContains(out, {"\"op\":\"full_sync\"," + root + ",\"excludes\":["})) << "-r is a FullSync batch";

  writeFile(s.src / "a.txt", "a\n");
  ASSERT_TRUE(fileContains(out, {"\"op\":\"upsert\"," + root + ",\"path\":\"a.txt\",\"dir\":false,\"time_ns\":"}));
  fs::rename(s.src / "a.txt", s.src / "b.txt");
  ASSERT_TRUE(fileContains(out, {"\"op\":\"move\"," + root + ",\"path\":\"b.txt\",\"old_path\":\"a.txt\",\"dir\":false"}));
  fs::remove(s.src / "b.txt");
  EXPECT_TRUE(fileContains(out, {"\"op\":\"delete\"," + root + ",\"path\":\"b.txt\",\"dir\":false"}));

  fs::create_directory(s.src / "d");
  writeFile(s.src / "d/inner.txt", "x\n");
  EXPECT_TRUE(fileContains(out, {"\"path\":\"d\",\"dir\":true", "\"path\":\"d/inner.txt\",\"dir\":false"}));

  // File names are bytes: escaped when they are UTF-8, lossy plus the exact bytes in base64 when not.
  writeFile(bytesPath(s.src, "q\"\nl.txt"), "x\n");
  writeFile(bytesPath(s.src, "bad\xFF.txt"), "x\n");
  writeFile(bytesPath(s.src, "caf\xC3\xA9.txt"), "x\n");
  EXPECT_TRUE(fileContains(out, {R"("path":"q\"\nl.txt","dir":false)",
                                 "\"path\":\"bad" + kReplacement + ".txt\",\"path_b64\":\"YmFk/y50eHQ=\",\"dir\":false",
                                 "\"path\":\"caf\xC3\xA9.txt\",\"dir\":false"}));

  // Every line is one JSON object, as a real parser sees it.
  if (fs::exists("/usr/bin/jq")) {
    RunResult jq = runProgram({"/usr/bin/jq", "-e", "-c", "select(.batch >= 0 and (.op | type) == \"string\")",
                               out.string()},
                              s.tmp / "jq.log", 20s);
    EXPECT_TRUE(jq.status.success()) << jq.output;
    const std::string text = readFile(out);
    EXPECT_EQ(std::count(jq.output.begin(), jq.output.end(), '\n'), std::count(text.begin(), text.end(), '\n'))
        << "jq output:\n" << jq.output;
  }
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(SdkExample, unwritable_output_is_retried_until_it_works) {
  Scenario s;
  fs::path pluginDir;
  ASSERT_TRUE(buildExample(s.tmp, &pluginDir));
  const fs::path out = s.tmp / "later/events.jsonl";  // its directory does not exist yet
  s.config.retry(200, 50, 200);
  // Loaded from an explicit path in the section, without --plugin-dir.
  s.config.pluginSection(jsonlSection(out, " path=\"" + xmlEscape((pluginDir / "fsrelay-jsonl.so").string()) + "\""));
  s.startRelay({"-m", "jsonl"});
  ASSERT_TRUE(s.ready());

  writeFile(s.src / "r.txt", "r\n");
  EXPECT_TRUE(s.relay().waitForLine("cannot open " + out.string(), 15s)) << "the plugin's reason is logged";
  fs::create_directory(s.tmp / "later");
  EXPECT_TRUE(fileContains(out, {"\"path\":\"r.txt\""})) << "a later attempt delivers the batch";
  EXPECT_TRUE(s.relay().running());
  EXPECT_TRUE(s.terminatesCleanly());
}

}  // namespace
}  // namespace fsrelay::test
