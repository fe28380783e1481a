// -r: the full sync before watching makes each target equal to the source, extra and stale files included.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(InitialSync, dash_r_deletes_extra_and_updates_stale_files_before_ready) {
  Scenario s;
  fs::create_directories(s.src / "deep/x/y");
  writeFile(s.src / "deep/x/y/z.txt", "deep\n");
  writeFile(s.src / "keep.txt", "same everywhere\n");
  writeFile(s.src / "stale-size.txt", "new content, longer than the old one\n");
  writeFile(s.src / "stale-same-size.txt", "NEW1");
  writeManyFiles(s.src / "deep", 100);
  for (const fs::path& t : s.targets()) {
    writeFile(t / "keep.txt", "same everywhere\n");
    writeFile(t / "extra.txt", "must be deleted\n");
    fs::create_directories(t / "extra-dir/inner");
    writeFile(t / "extra-dir/inner/file", "must be deleted\n");
    writeFile(t / "stale-size.txt", "old\n");
    writeFile(t / "stale-same-size.txt", "OLD1");
    // Older than the source's copies, so `-u` (part of sersync's -artuz) does not protect them.
    setMtime(t / "stale-size.txt", kLongAgo);
    setMtime(t / "stale-same-size.txt", kLongAgo);
  }

  s.startRelay({"-r"});
  ASSERT_TRUE(s.ready());
  // "ready:" comes after the -r sync: the targets are equal at that moment, not eventually.
  EXPECT_TRUE(s.equalNow());

  // And it watches afterwards.
  writeFile(s.src / "after-ready.txt", "x\n");
  EXPECT_TRUE(s.converged());
}

TEST(InitialSync, changes_during_the_initial_sync_are_kept) {
  Scenario s;
  for (int d = 0; d < 20; ++d) {
    fs::create_directories(s.src / ("d" + std::to_string(d)));
    writeManyFiles(s.src / ("d" + std::to_string(d)), 100);
  }
  s.startRelay({"-r"});
  // Changed while fsrelay sets up its watches and runs the full sync, before "ready:".
  for (int i = 0; i < 100; ++i) writeFile(s.src / ("early-" + std::to_string(i)), "early\n");
  writeFile(s.src / "d3/f7.txt", "changed early\n");
  fs::remove(s.src / "d4/f1.txt");
  ASSERT_TRUE(s.ready());
  EXPECT_TRUE(s.converged());
}

TEST(InitialSync, without_dash_r_existing_files_are_left_alone) {
  Scenario s;
  writeFile(s.src / "old.txt", "not synced without -r\n");
  s.startRelay({});
  ASSERT_TRUE(s.ready());
  writeFile(s.src / "new.txt", "synced\n");
  std::string diff = waitEqual(s.src, s.targets(), 30s, [](std::string_view rel, EntryType) { return rel == "old.txt"; });
  EXPECT_EQ(diff, "");
  EXPECT_FALSE(fs::exists(s.daemon.moduleDir("t1") / "old.txt"));
}

}  // namespace
}  // namespace fsrelay::test
