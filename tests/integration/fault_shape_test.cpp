// Fault 7: the watched tree changes shape under the daemon. Every case ends with a change inside the new
// shape, so a watch that was lost on the way shows up as a missing file, not only as a stale tree.
#include <gtest/gtest.h>

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/support/fault_figures.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::size_t entries(const fs::path& root) { return snapshot(root).size(); }

TEST(FaultShape, watched_directory_replaced_by_a_symlink_and_by_a_file) {
  Scenario s;
  fs::create_directories(s.src / "a/deep/er");
  fs::create_directories(s.src / "b/deep");
  fs::create_directories(s.src / "elsewhere");
  writeManyFiles(s.src / "a/deep/er", 20);
  writeManyFiles(s.src / "b/deep", 20);
  writeFile(s.src / "elsewhere/x.txt", "x\n");
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged(15s));

  // A watched directory (with watched subdirectories) becomes a symlink, another one a regular file.
  std::size_t replaced = entries(s.src / "a") + entries(s.src / "b") + 2;
  auto t0 = FaultClock::now();
  fs::remove_all(s.src / "a");
  fs::create_directory_symlink("elsewhere", s.src / "a");
  fs::remove_all(s.src / "b");
  writeFile(s.src / "b", "now a file\n");
  std::string diff;
  double secs = secondsToConverge(s.src, s.targets(), 15s, &diff);
  ASSERT_GE(secs, 0.0) << diff;
  secs = secondsSince(t0);

  // And back: the symlink and the file become directories again, with new content that must arrive.
  fs::remove(s.src / "a");
  fs::create_directories(s.src / "a/new");
  fs::remove(s.src / "b");
  fs::create_directories(s.src / "b");
  ASSERT_TRUE(s.converged(15s));
  writeFile(s.src / "a/new/after.txt", "after\n");
  writeFile(s.src / "b/after.txt", "after\n");
  ASSERT_TRUE(s.converged(15s));
  Figures("7a dir replaced by symlink / file")
      .add("entries replaced", replaced)
      .add("arrived", countArrived(s.src, s.targets()[0]))
      .seconds("converge s", secs);
}

// The same replacements, made deterministic: a child's Delete already waits in the target's queue (the
// target is busy with a large file) when fsrelay reads "directory deleted" and "symlink (file) created"
// in one go (it is stopped meanwhile). The child's Delete and the new non-directory then go out in one
// rsync run, and no failure may stay behind (the fail log empties).
TEST(FaultShape, directory_replaced_by_a_symlink_or_file_while_a_child_delete_is_queued) {
  Scenario s;
  s.config.retry(3, 100, 400);  // a batch that can never succeed reaches the fail log quickly
  fs::create_directories(s.src / "a/deep/er");
  fs::create_directories(s.src / "b/deep");
  fs::create_directories(s.src / "elsewhere");
  writeManyFiles(s.src / "a/deep/er", 5);
  writeManyFiles(s.src / "b/deep", 5);
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged(15s));

  writeRandomFile(s.src / "big.bin", 16u << 20, 3);  // keeps each target busy for a while
  std::this_thread::sleep_for(100ms);
  fs::remove(s.src / "a/deep/er/f0.txt");
  fs::remove(s.src / "b/deep/f0.txt");
  std::this_thread::sleep_for(50ms);  // read and queued at the targets on their own
  s.relay().signal(SIGSTOP);
  fs::remove_all(s.src / "a");
  fs::create_directory_symlink("elsewhere", s.src / "a");
  fs::remove_all(s.src / "b");
  writeFile(s.src / "b", "now a file\n");
  s.relay().signal(SIGCONT);
  std::string diff;
  EXPECT_GE(secondsToConverge(s.src, s.targets(), 15s, &diff), 0.0) << diff;
  EXPECT_TRUE(failLogEmpties(s.failLog, 5s)) << "changes that keep failing:\n" << readFile(s.failLog);
}

TEST(FaultShape, subtree_moved_out_of_the_tree_and_back_in_quick_succession) {
  Scenario s;
  fs::create_directories(s.src / "sub/inner/most");
  writeManyFiles(s.src / "sub", 10);
  writeManyFiles(s.src / "sub/inner/most", 10);
  fs::path outside = s.tmp / "outside";  // same filesystem as src: a real rename, not a copy
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged(15s));

  auto t0 = FaultClock::now();
  for (int round = 0; round < 5; ++round) {
    fs::rename(s.src / "sub", outside);
    fs::rename(outside, s.src / "sub");
  }
  // The tree looks the same before and after, so "equal" proves nothing until fsrelay has handled the
  // moves: a marker written after them arrives after them, and then nothing may have been undone.
  writeFile(s.src / "marker-after-moves", "m\n");
  std::string diff;
  double secs = secondsToConverge(s.src, s.targets(), 15s, &diff);
  EXPECT_GE(secs, 0.0) << "after moving sub out and back in:\n" << diff;
  secs = secondsSince(t0);
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(s.equalNow()) << "a late change undid the subtree on a target";
  // The moved-back subtree must still be watched, at every depth.
  writeFile(s.src / "sub/after.txt", "after\n");
  writeFile(s.src / "sub/inner/most/after.txt", "after\n");
  fs::create_directories(s.src / "sub/inner/new-dir");
  writeFile(s.src / "sub/inner/new-dir/f", "f\n");
  EXPECT_TRUE(s.converged(15s)) << "changes inside the subtree after it came back";

  // Out, changed while outside (nothing to see), back in: the changed contents arrive.
  fs::rename(s.src / "sub", outside);
  writeFile(outside / "changed-outside.txt", "x\n");
  fs::remove(outside / "f0.txt");
  fs::rename(outside, s.src / "sub");
  EXPECT_TRUE(s.converged(15s)) << "a subtree changed while it was outside the tree";
  Figures("7b subtree out and back in").add("entries", entries(s.src)).seconds("converge s", secs);
}

TEST(FaultShape, chain_of_100_renames) {
  Scenario s;
  fs::create_directories(s.src / "dirs");
  writeFile(s.src / "n0", "the file that wanders\n");
  fs::create_directories(s.src / "dirs/d0/sub");
  writeManyFiles(s.src / "dirs/d0/sub", 5);
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged(15s));

  // a -> b -> c ... for a file and for a directory with content, as fast as the calls go.
  auto t0 = FaultClock::now();
  for (int i = 0; i < 100; ++i) {
    fs::rename(s.src / ("n" + std::to_string(i)), s.src / ("n" + std::to_string(i + 1)));
    fs::rename(s.src / "dirs" / ("d" + std::to_string(i)), s.src / "dirs" / ("d" + std::to_string(i + 1)));
  }
  // A chain that ends on a name an earlier link used, and one whose last step overwrites an existing file.
  writeFile(s.src / "victim", "overwritten by the chain\n");
  for (int i = 0; i < 10; ++i)
    fs::rename(s.src / (i == 0 ? "n100" : "m" + std::to_string(i - 1)), s.src / ("m" + std::to_string(i)));
  fs::rename(s.src / "m9", s.src / "victim");
  std::string diff;
  double secs = secondsToConverge(s.src, s.targets(), 15s, &diff);
  ASSERT_GE(secs, 0.0) << diff;
  secs = secondsSince(t0);
  EXPECT_FALSE(fs::exists(s.targets()[0] / "n0"));
  EXPECT_FALSE(fs::exists(s.targets()[0] / "n50"));
  EXPECT_EQ(readFile(s.targets()[0] / "victim"), "the file that wanders\n");
  // The renamed directory is still watched.
  writeFile(s.src / "dirs/d100/sub/after.txt", "after\n");
  EXPECT_TRUE(s.converged(15s));
  Figures("7c 100 renames in a chain").add("renames", 210).seconds("converge s", secs);
}

// Deterministic form of subtree_moved_out_of_the_tree_and_back_in_quick_succession: fsrelay is stopped
// while sub goes out and comes back, so it reads the IN_MOVED_FROM (out) and the IN_MOVED_TO (in, another
// cookie) in one go.
TEST(FaultShape, subtree_moved_out_and_back_in_read_in_one_go_stays_watched) {
  Scenario s;
  fs::create_directories(s.src / "sub/inner");
  writeManyFiles(s.src / "sub/inner", 5);
  fs::path outside = s.tmp / "outside";
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged(15s));

  s.relay().signal(SIGSTOP);
  fs::rename(s.src / "sub", outside);
  fs::rename(outside, s.src / "sub");
  s.relay().signal(SIGCONT);
  writeFile(s.src / "marker-after-moves", "m\n");
  ASSERT_TRUE(s.converged(15s));
  std::this_thread::sleep_for(100ms);  // well past the watcher's hold of an unpaired IN_MOVED_FROM
  writeFile(s.src / "sub/after.txt", "after\n");
  writeFile(s.src / "sub/inner/after.txt", "after\n");
  EXPECT_TRUE(s.converged(10s)) << "changes inside the subtree after it came back were not seen";
}

// Deterministic form of chain_of_100_renames: a -> b is already queued at the target (busy with a large
// file) when b -> c arrives. The target must still delete a.
TEST(FaultShape, rename_chain_split_across_the_target_queue_deletes_the_first_name) {
  Scenario s;
  writeFile(s.src / "a", "wanders\n");
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged(15s));

  writeRandomFile(s.src / "big.bin", 16u << 20, 5);  // keeps each target busy for a while
  std::this_thread::sleep_for(100ms);
  fs::rename(s.src / "a", s.src / "b");
  std::this_thread::sleep_for(50ms);  // a -> b leaves the coalescer and waits in the target's queue
  fs::rename(s.src / "b", s.src / "c");
  std::string diff;
  EXPECT_GE(secondsToConverge(s.src, s.targets(), 15s, &diff), 0.0) << diff;
}

// The root itself removed (rm -rf) and made again, then written to. The children's deletes go out (the
// targets are emptied), the watcher logs the root's loss, looks for it every 500 ms, and once it is back
// watches it again and asks for a full sync: what was made before the new watches landed arrives too.
TEST(FaultShape, root_removed_and_recreated) {
  Scenario s;
  fs::create_directories(s.src / "d");
  writeManyFiles(s.src / "d", 10);
  writeFile(s.src / "top.txt", "top\n");
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged(15s));

  auto t0 = FaultClock::now();
  fs::remove_all(s.src);
  fs::create_directories(s.src / "d2");
  writeFile(s.src / "new-top.txt", "new\n");
  writeManyFiles(s.src / "d2", 10);
  std::string diff;
  double secs = secondsToConverge(s.src, s.targets(), 20s, &diff);
  EXPECT_GE(secs, 0.0) << "after the root was removed and made again:\n" << diff;
  if (secs >= 0) secs = secondsSince(t0);
  // Later changes in the new root.
  writeFile(s.src / "later.txt", "later\n");
  EXPECT_TRUE(s.converged(20s)) << "a change in the recreated root";
  EXPECT_TRUE(s.relay().running()) << "fsrelay ended when its root went away";
  Figures("7d root removed and recreated").add("entries", entries(s.src)).seconds("converge s", secs);
}

}  // namespace
}  // namespace fsrelay::test
