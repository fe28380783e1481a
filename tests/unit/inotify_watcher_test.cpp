// The inotify watcher against a real temp tree, time driven by hand: moves out and back in, the root's end.
#include "core/watch/inotify_watcher.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/watch_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fsrelay {
namespace {

namespace fs = std::filesystem;
using test::RecordingSink;
using test::touch;

class InotifyWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_ / "root";
    fs::create_directories(root_ / "sub/inner");
    touch(root_ / "sub/inner/f");
  }
  void TearDown() override {
    watcher_.reset();  // before tmp_ goes: the watcher holds descriptors in the tree
  }
  InotifyWatcher& start() {
    watcher_ = std::make_unique<InotifyWatcher>(root_.string(), filter_, toggles_, false);
    std::string err;
    EXPECT_TRUE(watcher_->start(&err)) << err;
    return *watcher_;
  }

  test::TempDir tmp_{"fsrelay-watch"};
  fs::path root_;
  Filter filter_;
  InotifyToggles toggles_;
  std::unique_ptr<InotifyWatcher> watcher_;
  RecordingSink sink_;
};

TEST_F(InotifyWatcherTest, subtree_moved_out_and_back_in_read_in_one_go_keeps_its_watches) {
  auto& w = start();
  ASSERT_EQ(w.watchCount(), 3u);
  fs::rename(root_ / "sub", tmp_ / "out");
  fs::rename(tmp_ / "out", root_ / "sub");
  w.readEvents(sink_, 0);
  w.tick(sink_, 100);
  EXPECT_EQ(w.watchCount(), 3u);
  // The Delete goes ahead of the subtree that replaced it, so the coalescer does not cancel the pair.
  ASSERT_TRUE(sink_.saw("D:sub"));
  ASSERT_TRUE(sink_.saw("U:sub"));
  EXPECT_LT(sink_.indexOf("D:sub"), sink_.indexOf("U:sub"));
  EXPECT_TRUE(sink_.saw("U:sub/inner/f"));

  sink_.calls.clear();
  touch(root_ / "sub/inner/g");
  fs::create_directory(root_ / "sub/new");
  w.readEvents(sink_, 200);
  EXPECT_TRUE(sink_.saw("S:sub/inner/g"));
  EXPECT_TRUE(sink_.saw("U:sub/new"));
  EXPECT_EQ(w.watchCount(), 4u);
}

TEST_F(InotifyWatcherTest, subtree_back_in_before_its_move_out_is_released_keeps_its_watches) {
  auto& w = start();
  fs::rename(root_ / "sub", tmp_ / "out");
  w.readEvents(sink_, 0);  // the move-from is held
  fs::rename(tmp_ / "out", root_ / "sub");
  w.tick(sink_, 100);  // released before the move-to is read
  w.readEvents(sink_, 100);
  EXPECT_EQ(w.watchCount(), 3u);
  EXPECT_LT(sink_.indexOf("D:sub"), sink_.indexOf("U:sub"));

  sink_.calls.clear();
  touch(root_ / "sub/inner/g");
  w.readEvents(sink_, 200);
  EXPECT_TRUE(sink_.saw("S:sub/inner/g"));
}

TEST_F(InotifyWatcherTest, subtree_moved_out_for_good_is_no_longer_watched) {
  auto& w = start();
  fs::rename(root_ / "sub", tmp_ / "out");
  w.readEvents(sink_, 0);
  w.tick(sink_, 100);
  EXPECT_EQ(w.watchCount(), 1u);
  EXPECT_TRUE(sink_.saw("D:sub"));
  sink_.calls.clear();
  touch(tmp_ / "out/inner/g");
  w.readEvents(sink_, 200);
  EXPECT_TRUE(sink_.calls.empty()) << sink_.calls.front();
}

TEST_F(InotifyWatcherTest, subtree_moved_out_and_back_in_then_renamed_is_watched_under_the_new_name) {
  auto& w = start();
  fs::rename(root_ / "sub", tmp_ / "out");
  w.readEvents(sink_, 0);
  fs::rename(tmp_ / "out", root_ / "sub");
  fs::rename(root_ / "sub", root_ / "sub3");
  w.tick(sink_, 100);  // sub is not there: its watches are given up
  w.readEvents(sink_, 100);
  EXPECT_EQ(w.watchCount(), 3u);
  sink_.calls.clear();
  touch(root_ / "sub3/inner/g");
  w.readEvents(sink_, 200);
  EXPECT_TRUE(sink_.saw("S:sub3/inner/g"));
}

TEST_F(InotifyWatcherTest, file_moved_out_and_replaced_is_deleted_before_the_new_one_appears) {
  touch(root_ / "a");
  auto& w = start();
  fs::rename(root_ / "a", tmp_ / "a-out");
  touch(root_ / "a");
  w.readEvents(sink_, 0);
  ASSERT_TRUE(sink_.saw("D:a"));
  ASSERT_TRUE(sink_.saw("W:a"));
  EXPECT_LT(sink_.indexOf("D:a"), sink_.indexOf("W:a"));
}

TEST_F(InotifyWatcherTest, root_removed_and_recreated_is_watched_again_and_fully_synced) {
  auto& w = start();
  EXPECT_FALSE(w.nextDeadline());
  fs::remove_all(root_);
  w.readEvents(sink_, 1000);
  EXPECT_EQ(w.watchCount(), 0u);
  ASSERT_TRUE(w.nextDeadline());
  EXPECT_EQ(*w.nextDeadline(), 1500);
  w.tick(sink_, 1500);  // still gone: keep looking
  EXPECT_FALSE(sink_.saw("overflow"));
  ASSERT_TRUE(w.nextDeadline());
  EXPECT_EQ(*w.nextDeadline(), 2000);

  fs::create_directories(root_ / "d/e");
  w.tick(sink_, 1999);
  EXPECT_FALSE(sink_.saw("overflow"));
  w.tick(sink_, 2000);
  EXPECT_EQ(std::count(sink_.calls.begin(), sink_.calls.end(), "root-returned"), 1);
  EXPECT_EQ(w.watchCount(), 3u);
  EXPECT_FALSE(w.nextDeadline());

  sink_.calls.clear();
  touch(root_ / "d/e/f");
  touch(root_ / "top");
  w.readEvents(sink_, 2100);
  EXPECT_TRUE(sink_.saw("S:d/e/f"));
  EXPECT_TRUE(sink_.saw("S:top"));
}

TEST_F(InotifyWatcherTest, root_moved_away_is_let_go_and_its_successor_watched) {
  auto& w = start();
  fs::rename(root_, tmp_ / "root.old");
  w.readEvents(sink_, 0);
  EXPECT_EQ(w.watchCount(), 0u);
  touch(tmp_ / "root.old/sub/inner/g");  // no longer ours
  w.readEvents(sink_, 10);
  EXPECT_TRUE(sink_.calls.empty()) << sink_.calls.front();

  fs::create_directory(root_);
  w.tick(sink_, 500);
  EXPECT_TRUE(sink_.saw("root-returned"));
  EXPECT_EQ(w.watchCount(), 1u);
  sink_.calls.clear();
  touch(root_ / "new");
  w.readEvents(sink_, 600);
  EXPECT_TRUE(sink_.saw("S:new"));
}

TEST_F(InotifyWatcherTest, root_renamed_and_back_is_still_watched) {
  auto& w = start();
  fs::rename(root_, tmp_ / "root.tmp");
  fs::rename(tmp_ / "root.tmp", root_);
  w.readEvents(sink_, 0);
  EXPECT_EQ(w.watchCount(), 3u);
  EXPECT_FALSE(w.nextDeadline());
  touch(root_ / "sub/g");
  w.readEvents(sink_, 10);
  EXPECT_TRUE(sink_.saw("S:sub/g"));
  EXPECT_FALSE(sink_.saw("overflow"));
  EXPECT_FALSE(sink_.saw("root-returned"));
}

}  // namespace
}  // namespace fsrelay
