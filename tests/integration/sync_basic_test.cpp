// Everyday changes reach both targets: files and directories created, modified, renamed, deleted.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(Sync, file_create_modify_delete) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());

  writeFile(s.src / "a.txt", "first\n");
  ASSERT_TRUE(s.converged());
  appendFile(s.src / "a.txt", "second line, longer than the first\n");
  ASSERT_TRUE(s.converged());
  writeFile(s.src / "a.txt", "x");  // shorter: truncation must arrive too
  ASSERT_TRUE(s.converged());
  writeFile(s.src / "empty", "");
  ASSERT_TRUE(s.converged());
  fs::remove(s.src / "a.txt");
  ASSERT_TRUE(s.converged());
  EXPECT_FALSE(fs::exists(s.daemon.moduleDir("t1") / "a.txt"));
}

TEST(Sync, directory_create_rename_delete) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());

  fs::create_directory(s.src / "d");
  ASSERT_TRUE(s.converged());  // an empty directory arrives as well
  writeManyFiles(s.src / "d", 50);
  fs::create_directories(s.src / "d/sub");
  writeFile(s.src / "d/sub/inner.txt", "inner\n");
  ASSERT_TRUE(s.converged());

  fs::rename(s.src / "d", s.src / "renamed");
  ASSERT_TRUE(s.converged());
  // The renamed directory is still watched: new files in it arrive.
  writeFile(s.src / "renamed/sub/after-rename.txt", "after\n");
  ASSERT_TRUE(s.converged());

  fs::remove_all(s.src / "renamed");
  ASSERT_TRUE(s.converged());
  EXPECT_TRUE(fs::is_empty(s.daemon.moduleDir("t2")));
}

TEST(Sync, file_rename_within_and_across_directories) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());

  fs::create_directories(s.src / "x/y");
  writeFile(s.src / "old.txt", "content\n");
  ASSERT_TRUE(s.converged());
  fs::rename(s.src / "old.txt", s.src / "new.txt");
  ASSERT_TRUE(s.converged());
  fs::rename(s.src / "new.txt", s.src / "x/y/moved.txt");
  ASSERT_TRUE(s.converged());
  // Renamed over an existing file: the target's old copy is replaced.
  writeFile(s.src / "x/other.txt", "other, longer content\n");
  writeFile(s.src / "x/y/newer.txt", "newer\n");
  ASSERT_TRUE(s.converged());
  fs::rename(s.src / "x/y/newer.txt", s.src / "x/other.txt");
  ASSERT_TRUE(s.converged());
}

// `mv config.bak config`, or a restore from an archive: the new content carries an older mtime than the
// copy the target has. sersync's -artuz has -u ("skip files that are newer on the receiver"), which
// would keep the target's stale copy for good.
TEST(Sync, older_file_renamed_over_a_newer_one_arrives) {
  Scenario s;
  fs::path outside = s.tmp.mkdir("outside");
  s.startRelay();
  ASSERT_TRUE(s.ready());

  writeFile(s.src / "config", "current version, synced\n");
  writeFile(s.src / "config.bak", "backup\n");
  setMtime(s.src / "config.bak", kLongAgo);
  ASSERT_TRUE(s.converged());
  fs::rename(s.src / "config.bak", s.src / "config");
  ASSERT_TRUE(s.converged());

  writeFile(outside / "restored", "restored from an archive\n");
  setMtime(outside / "restored", kLongAgo);
  fs::rename(outside / "restored", s.src / "config");
  ASSERT_TRUE(s.converged());
}

TEST(Sync, moves_into_and_out_of_the_watched_tree) {
  Scenario s;
  fs::path outside = s.tmp.mkdir("outside");
  s.startRelay();
  ASSERT_TRUE(s.ready());

  // Moved in from outside: the whole subtree arrives (no event was ever seen for its files).
  fs::create_directories(outside / "in/deep/er");
  writeManyFiles(outside / "in", 20);
  writeFile(outside / "in/deep/er/leaf.txt", "leaf\n");
  fs::rename(outside / "in", s.src / "in");
  ASSERT_TRUE(s.converged());

  // Moved out: it is gone from the targets.
  fs::rename(s.src / "in", outside / "gone");
  ASSERT_TRUE(s.converged());
  writeFile(s.src / "single.txt", "x\n");
  ASSERT_TRUE(s.converged());
  fs::rename(s.src / "single.txt", outside / "single.txt");
  ASSERT_TRUE(s.converged());
}

TEST(Sync, nested_mkdir_and_file_in_one_go) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());

  // mkdir -p a/b/c && echo x > a/b/c/f: the file is written before a watch on c can exist.
  fs::create_directories(s.src / "a/b/c");
  writeFile(s.src / "a/b/c/f", "x\n");
  ASSERT_TRUE(s.converged());
  // Many such chains at once.
  for (int i = 0; i < 30; ++i) {
    fs::path leaf = s.src / ("tree/c" + std::to_string(i) + "/d1/d2/d3");
    fs::create_directories(leaf);
    writeManyFiles(leaf, 5);
  }
  ASSERT_TRUE(s.converged());
}

TEST(Sync, symlinks_arrive_as_symlinks) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());

  writeFile(s.src / "real.txt", "real\n");
  fs::create_symlink("real.txt", s.src / "rel-link");
  fs::create_symlink("no such dir/dangling target", s.src / "dangling");
  // Absolute targets are not tried: a daemon module with "use chroot = no" strips their leading "/".
  ASSERT_TRUE(s.converged());
  EXPECT_TRUE(fs::is_symlink(s.daemon.moduleDir("t1") / "rel-link"));
}

TEST(Sync, dotfiles_arrive) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());

  // sersync dropped every name starting with "." with no way to turn it off.
  writeFile(s.src / ".htaccess", "Require all granted\n");
  fs::create_directories(s.src / ".well-known/acme");
  writeFile(s.src / ".well-known/acme/token", "t\n");
  writeFile(s.src / ".env", "A=1\n");
  ASSERT_TRUE(s.converged());
  EXPECT_TRUE(fs::exists(s.daemon.moduleDir("t2") / ".htaccess"));
}

TEST(Sync, editor_style_save_converges) {
  Scenario s;
  fs::create_directories(s.src / "churn");
  for (int i = 0; i < 50; ++i) writeFile(s.src / ("churn/x" + std::to_string(i)), "original " + std::to_string(i) + "\n");
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged());

  // vim-like save: swap file, temp file, rename over the original, swap file removed.
  for (int i = 0; i < 50; ++i) {
    std::string n = "x" + std::to_string(i);
    fs::path dir = s.src / "churn";
    writeFile(dir / ("." + n + ".swp"), "swap");
    writeFile(dir / (n + ".tmp"), "edited " + std::to_string(i) + ", now longer\n");
    fs::rename(dir / (n + ".tmp"), dir / n);
    fs::remove(dir / ("." + n + ".swp"));
  }
  ASSERT_TRUE(s.converged());
}

// rsync's quick check compares modification times in whole seconds: a same-size rewrite within the second
// after a transfer looks unchanged to `rsync -artuz`. Every rewrite must arrive all the same.
TEST(Sync, same_size_rewrite_within_the_same_second_arrives) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());

  constexpr int kRounds = 10;
  constexpr int kFiles = 20;  // 200 rewrites in all
  int sameSecond = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kFiles; ++i) writeFile(s.src / ("f" + std::to_string(i)), "aaaa");
    ASSERT_TRUE(s.converged()) << "round " << round << ", first write";
    for (int i = 0; i < kFiles; ++i) {
      fs::path f = s.src / ("f" + std::to_string(i));
      struct stat before {};
      ::stat(f.c_str(), &before);
      writeFile(f, "bbbb");
      struct stat after {};
      ::stat(f.c_str(), &after);
      sameSecond += before.st_mtim.tv_sec == after.st_mtim.tv_sec;
    }
    ASSERT_TRUE(s.converged()) << "round " << round << ", same-size rewrite";
  }
  std::cout << "[ info ] " << sameSecond << " of " << kRounds * kFiles
            << " rewrites had the same mtime second as the synced version\n";
}

}  // namespace
}  // namespace fsrelay::test
