// A directory deleted and made again (or renamed over) within one batching window: no old entry survives.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;

// Deploy scripts do `rm -rf site && mkdir site && cp ...`: the delete and the new directory land in one
// batch, and rsync, listing paths without recursion, would leave the old site's other files in place.
TEST(ReplacedDir, deleted_and_made_again_at_once_drops_old_entries) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());
  fs::create_directories(s.src / "site/old");
  writeManyFiles(s.src / "site", 20);
  writeFile(s.src / "site/old/page.html", "old\n");
  ASSERT_TRUE(s.converged());
  for (int round = 0; round < 5; ++round) {
    fs::remove_all(s.src / "site");
    fs::create_directories(s.src / "site/new");
    writeFile(s.src / "site/new/index.html", "round " + std::to_string(round) + "\n");
    ASSERT_TRUE(s.converged()) << "round " << round;
  }
}

TEST(ReplacedDir, staging_renamed_over_a_deleted_live_dir) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());
  fs::create_directories(s.src / "live/assets");
  writeManyFiles(s.src / "live/assets", 10);
  ASSERT_TRUE(s.converged());
  for (int round = 0; round < 3; ++round) {
    fs::create_directories(s.src / "staging");
    writeFile(s.src / "staging/release.txt", "release " + std::to_string(round) + "\n");
    fs::remove_all(s.src / "live");
    fs::rename(s.src / "staging", s.src / "live");
    ASSERT_TRUE(s.converged()) << "round " << round;
  }
}

}  // namespace
}  // namespace fsrelay::test
