// <filter> excludes: excluded files and directories never reach a target, at startup (-r) or at run time.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// fsrelay's documented convention: a regex must match the whole path relative to the watched root,
// a directory's path ends in "/", and an excluded directory takes its subtree with it.
bool excludedBy(const std::vector<std::regex>& rules, std::string_view rel, EntryType type) {
  std::string subject(rel);
  if (type == EntryType::Dir) subject += "/";
  for (const std::regex& r : rules)
    if (std::regex_match(subject, r)) return true;
  return false;
}

TEST(Filter, excluded_paths_never_arrive) {
  Scenario s;
  s.config.exclude("(.*)\\.gz").exclude("^cache/");
  std::vector<std::regex> rules = {std::regex("(.*)\\.gz"), std::regex("^cache/")};
  ExcludeFn excluded = [&](std::string_view rel, EntryType type) { return excludedBy(rules, rel, type); };

  fs::create_directories(s.src / "cache/old");
  fs::create_directories(s.src / "sub/cache");
  writeFile(s.src / "a.gz", "gz\n");
  writeFile(s.src / "keep.txt", "kept\n");
  writeFile(s.src / "cache/old/x.txt", "cached\n");
  writeFile(s.src / "sub/b.gz", "gz\n");
  writeFile(s.src / "sub/cache/kept.txt", "not the root's cache/\n");
  s.startRelay({"-r"});
  ASSERT_TRUE(s.ready());
  // -r is not skipped because a filter is on (sersync skipped it silently), and it honours the filter.
  EXPECT_TRUE(s.equalNow(excluded));

  writeFile(s.src / "live.gz", "gz\n");
  writeFile(s.src / "cache/new.txt", "cached\n");
  fs::create_directories(s.src / "cache/deeper/still");
  writeFile(s.src / "cache/deeper/still/x.txt", "cached\n");
  writeFile(s.src / "sub/live.gz", "gz\n");
  writeFile(s.src / "sub/keep2.txt", "kept\n");
  writeFile(s.src / "cachet.txt", "a file whose name starts with cache\n");
  writeFile(s.src / "x.gz.txt", "not a .gz\n");
  fs::create_directories(s.src / "dir.gz");  // a directory's subject is "dir.gz/": not matched by (.*)\.gz
  writeFile(s.src / "dir.gz/inside.txt", "kept\n");
  fs::rename(s.src / "keep.txt", s.src / "renamed-to.gz");  // renamed into an excluded name: gone from targets
  ASSERT_TRUE(s.converged(30s, excluded));

  // "Never": not a little later either.
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(s.equalNow(excluded));
  EXPECT_FALSE(fs::exists(s.daemon.moduleDir("t1") / "cache"));
  EXPECT_TRUE(fs::exists(s.daemon.moduleDir("t1") / "sub/cache/kept.txt"));
}

}  // namespace
}  // namespace fsrelay::test
