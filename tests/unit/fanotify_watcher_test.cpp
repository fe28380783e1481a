// The fanotify watcher against a real temp tree (needs CAP_SYS_ADMIN; skipped with the reason otherwise).
#include "core/watch/fanotify_watcher.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/watch_test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

namespace fsrelay {
namespace {

namespace fs = std::filesystem;
using test::RecordingSink;
using test::touch;

class FanotifyWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_ / "root";
    fs::create_directories(root_ / "sub/inner");
    fs::create_directories(tmp_ / "outside");
    touch(root_ / "sub/inner/f");
    std::string why = FanotifyWatcher::unavailableReason(root_.string());
    if (!why.empty()) GTEST_SKIP() << "fanotify cannot be used here: " << why;
  }
  void TearDown() override {
    watcher_.reset();  // before tmp_ goes: the watcher holds descriptors in the tree
  }
  FanotifyWatcher& start(bool useRename = true) {
    watcher_ = std::make_unique<FanotifyWatcher>(root_.string(), filter_, toggles_, false, useRename);
    std::string err;
    EXPECT_TRUE(watcher_->start(&err)) << err;
    return *watcher_;
  }
  void read(std::int64_t now = 0) {
    watcher_->readEvents(sink_, now);
  }

  test::TempDir tmp_{"fsrelay-fan"};
  fs::path root_;
  Filter filter_;
  InotifyToggles toggles_;
  std::unique_ptr<FanotifyWatcher> watcher_;
  RecordingSink sink_;
};

TEST_F(FanotifyWatcherTest, file_created_written_and_deleted_is_reported_like_inotify) {
  auto& w = start();
  EXPECT_EQ(w.watchCount(), 0u);  // no per-directory watch
  touch(root_ / "a");
  touch(root_ / "sub/inner/b");
  read();
  EXPECT_TRUE(sink_.sawBorn("W:a")) << sink_.all();
  EXPECT_TRUE(sink_.saw("S:a")) << sink_.all();
  EXPECT_LT(sink_.indexOf("W:a"), sink_.indexOf("S:a"));
  EXPECT_TRUE(sink_.saw("S:sub/inner/b")) << sink_.all();
  sink_.calls.clear();
  fs::remove(root_ / "a");
  read();
  EXPECT_TRUE(sink_.saw("D:a")) << sink_.all();
  EXPECT_FALSE(sink_.saw("S:a"));
}

TEST_F(FanotifyWatcherTest, rename_within_the_root_is_one_move) {
  auto& w = start();
  if (!w.pairsRenames()) GTEST_SKIP() << "kernel before 5.17: no FAN_RENAME";
  touch(root_ / "a");
  read();
  sink_.calls.clear();
  fs::rename(root_ / "a", root_ / "sub/b");
  read();
  EXPECT_EQ(sink_.all(), "M:a>sub/b ");
}

TEST_F(FanotifyWatcherTest, directory_renamed_then_a_file_made_in_it_has_the_new_path) {
  start();
  fs::rename(root_ / "sub", root_ / "sub2");
  touch(root_ / "sub2/inner/g");
  read();
  EXPECT_TRUE(sink_.sawDir("M:sub>sub2")) << sink_.all();
  EXPECT_TRUE(sink_.sawBorn("U:sub2/inner/f")) << sink_.all();  // contents sent under the new name
  EXPECT_TRUE(sink_.saw("S:sub2/inner/g")) << sink_.all();
  EXPECT_FALSE(sink_.saw("S:sub/inner/g")) << sink_.all();
  // A directory resolved before the rename follows it too.
  sink_.calls.clear();
  fs::rename(root_ / "sub2", root_ / "sub3");
  touch(root_ / "sub3/inner/h");
  read();
  EXPECT_TRUE(sink_.saw("S:sub3/inner/h")) << sink_.all();
}

TEST_F(FanotifyWatcherTest, directory_cache_released_when_idle_is_rebuilt_by_the_next_events) {
  auto& w = start();
  for (int i = 0; i < 50; ++i) {
    fs::create_directories(root_ / ("d" + std::to_string(i)));
    touch(root_ / ("d" + std::to_string(i)) / "f");
  }
  read();
  EXPECT_GE(w.cachedDirs(), 50u);
  w.releaseBurstMemory();
  EXPECT_EQ(w.cachedDirs(), 0u);
  sink_.calls.clear();
  // Resolved afresh: a rename of a directory cached before the release, a write in it, a delete.
  fs::rename(root_ / "d7", root_ / "e7");
  touch(root_ / "e7/g");
  fs::remove(root_ / "d8/f");
  read();
  EXPECT_TRUE(sink_.sawDir("M:d7>e7") || sink_.sawDir("D:d7")) << sink_.all();
  EXPECT_TRUE(sink_.saw("S:e7/g")) << sink_.all();
  EXPECT_TRUE(sink_.saw("D:d8/f")) << sink_.all();
  EXPECT_FALSE(sink_.saw("S:d7/g")) << sink_.all();
}

TEST_F(FanotifyWatcherTest, tree_moved_in_from_outside_is_reported_with_its_contents) {
  start();
  fs::create_directories(tmp_ / "outside/pkg/lib");
  touch(tmp_ / "outside/pkg/lib/x");
  touch(tmp_ / "outside/loose");
  read();
  EXPECT_TRUE(sink_.calls.empty()) << sink_.all();  // outside the root: dropped
  fs::rename(tmp_ / "outside/pkg", root_ / "pkg");
  fs::rename(tmp_ / "outside/loose", root_ / "loose");
  read();
  EXPECT_TRUE(sink_.sawDir("U:pkg")) << sink_.all();
  EXPECT_TRUE(sink_.sawBorn("U:pkg/lib")) << sink_.all();
  EXPECT_TRUE(sink_.sawBorn("U:pkg/lib/x")) << sink_.all();
  EXPECT_TRUE(sink_.sawBorn("U:loose")) << sink_.all();
  // Its directories were seen outside before: now they are ours.
  sink_.calls.clear();
  touch(root_ / "pkg/lib/y");
  read();
  EXPECT_TRUE(sink_.saw("S:pkg/lib/y")) << sink_.all();
}

TEST_F(FanotifyWatcherTest, tree_moved_out_is_deleted_and_no_longer_reported) {
  start();
  touch(root_ / "sub/g");  // resolves sub, so it is cached as ours
  read();
  sink_.calls.clear();
  fs::rename(root_ / "sub", tmp_ / "outside/sub");
  read();
  EXPECT_EQ(sink_.all(), "D:sub ");
  sink_.calls.clear();
  touch(tmp_ / "outside/sub/g2");
  touch(tmp_ / "outside/sub/inner/h");
  read();
  EXPECT_TRUE(sink_.calls.empty()) << sink_.all();
}

TEST_F(FanotifyWatcherTest, mkdir_p_deep_then_files_reports_every_level) {
  start();
  fs::create_directories(root_ / "a/b/c/d");
  touch(root_ / "a/b/c/d/f");
  touch(root_ / "a/top");
  read();
  for (const char* d : {"U:a", "U:a/b", "U:a/b/c", "U:a/b/c/d"}) EXPECT_TRUE(sink_.sawDir(d)) << d << ": " << sink_.all();
  EXPECT_TRUE(sink_.saw("S:a/b/c/d/f")) << sink_.all();
  EXPECT_TRUE(sink_.saw("S:a/top")) << sink_.all();
  EXPECT_LT(sink_.indexOf("U:a/b/c/d"), sink_.indexOf("S:a/b/c/d/f"));
}

TEST_F(FanotifyWatcherTest, changes_outside_the_root_are_not_reported) {
  start();
  fs::create_directories(tmp_ / "outside/x/y");
  touch(tmp_ / "outside/x/y/z");
  fs::rename(tmp_ / "outside/x", tmp_ / "outside/x2");
  fs::remove_all(tmp_ / "outside/x2");
  touch(tmp_ / "rootish");  // a sibling whose name starts like the root's
  fs::create_directories(tmp_ / "root2/d");
  touch(tmp_ / "root2/d/f");
  read();
  EXPECT_TRUE(sink_.calls.empty()) << sink_.all();
}

TEST_F(FanotifyWatcherTest, excluded_directory_is_not_reported) {
  FilterConf conf;
  conf.enabled = true;
  conf.excludes.push_back({"cache/", 1});
  std::string err;
  int line = 0;
  filter_ = *Filter::build(conf, &err, &line);
  start();
  fs::create_directories(root_ / "cache/deep");
  touch(root_ / "cache/deep/f");
  touch(root_ / "kept");
  read();
  EXPECT_FALSE(sink_.sawUnder("cache")) << sink_.all();
  EXPECT_TRUE(sink_.saw("S:kept")) << sink_.all();
}

TEST_F(FanotifyWatcherTest, name_made_again_after_a_rename_is_not_lost) {
  // The kernel merges the second create of "a" into the first, which is still queued ahead of the rename.
  auto& w = start();
  touch(root_ / "a");
  fs::rename(root_ / "a", root_ / "b");
  touch(root_ / "a");
  read();
  if (w.pairsRenames()) {
    ASSERT_TRUE(sink_.saw("M:a>b")) << sink_.all();
    EXPECT_GT(sink_.calls.size() - 1, static_cast<std::size_t>(sink_.indexOf("M:a>b"))) << sink_.all();
    const std::string last = sink_.calls.back();
    EXPECT_TRUE(last == "W:a" || last == "U:a") << sink_.all();
  }
}

TEST_F(FanotifyWatcherTest, without_fan_rename_moves_are_a_delete_and_a_new_entry) {
  start(false);
  touch(root_ / "a");
  read();
  sink_.calls.clear();
  fs::rename(root_ / "a", root_ / "b");
  fs::rename(root_ / "sub", root_ / "sub2");
  fs::rename(root_ / "sub2/inner", tmp_ / "outside/inner");
  read();
  EXPECT_TRUE(sink_.saw("D:a")) << sink_.all();
  EXPECT_TRUE(sink_.sawBorn("U:b")) << sink_.all();
  EXPECT_TRUE(sink_.saw("D:sub")) << sink_.all();
  EXPECT_TRUE(sink_.sawDir("U:sub2")) << sink_.all();
  EXPECT_TRUE(sink_.saw("D:sub2/inner")) << sink_.all();
  EXPECT_LT(sink_.indexOf("D:a"), sink_.indexOf("U:b"));
}

TEST_F(FanotifyWatcherTest, root_removed_and_recreated_is_watched_again_and_fully_synced) {
  auto& w = start();
  EXPECT_FALSE(w.nextDeadline());
  fs::remove_all(root_);
  w.readEvents(sink_, 1000);
  ASSERT_TRUE(w.nextDeadline());
  EXPECT_EQ(*w.nextDeadline(), 1500);
  w.tick(sink_, 1500);
  EXPECT_FALSE(sink_.saw("root-returned"));
  fs::create_directories(root_ / "d/e");
  w.tick(sink_, 2000);
  EXPECT_EQ(std::count(sink_.calls.begin(), sink_.calls.end(), "root-returned"), 1) << sink_.all();
  EXPECT_FALSE(w.nextDeadline());
  sink_.calls.clear();
  touch(root_ / "d/e/f");
  touch(root_ / "top");
  w.readEvents(sink_, 2100);
  EXPECT_TRUE(sink_.saw("S:d/e/f")) << sink_.all();
  EXPECT_TRUE(sink_.saw("S:top")) << sink_.all();
}

TEST_F(FanotifyWatcherTest, root_moved_away_is_let_go_and_its_successor_watched) {
  auto& w = start();
  fs::rename(root_, tmp_ / "root.old");
  w.readEvents(sink_, 0);
  ASSERT_TRUE(w.nextDeadline());
  touch(tmp_ / "root.old/sub/inner/g");  // no longer ours
  w.readEvents(sink_, 10);
  EXPECT_TRUE(sink_.calls.empty()) << sink_.all();
  fs::create_directory(root_);
  w.tick(sink_, 500);
  EXPECT_TRUE(sink_.saw("root-returned"));
  sink_.calls.clear();
  touch(root_ / "new");
  touch(tmp_ / "root.old/sub/inner/g2");
  w.readEvents(sink_, 600);
  EXPECT_EQ(sink_.all(), "W:new S:new ");
}

TEST_F(FanotifyWatcherTest, root_renamed_and_back_is_still_watched) {
  auto& w = start();
  fs::rename(root_, tmp_ / "root.tmp");
  fs::rename(tmp_ / "root.tmp", root_);
  w.readEvents(sink_, 0);
  EXPECT_FALSE(w.nextDeadline());
  touch(root_ / "sub/g");
  w.readEvents(sink_, 10);
  EXPECT_TRUE(sink_.saw("S:sub/g")) << sink_.all();
  EXPECT_FALSE(sink_.saw("root-returned"));
}

TEST_F(FanotifyWatcherTest, directory_above_the_root_renamed_moves_the_root_away) {
  fs::create_directories(tmp_ / "p");
  fs::rename(root_, tmp_ / "p/root");
  root_ = tmp_ / "p/root";
  auto& w = start();
  fs::rename(tmp_ / "p", tmp_ / "q");
  w.readEvents(sink_, 0);
  EXPECT_TRUE(w.nextDeadline()) << "the root path no longer names the watched directory";
  touch(tmp_ / "q/root/sub/x");
  w.readEvents(sink_, 10);
  EXPECT_TRUE(sink_.calls.empty()) << sink_.all();
}

}  // namespace
}  // namespace fsrelay
