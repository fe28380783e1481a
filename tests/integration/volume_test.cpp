// Volume: a large file, and a burst of many small files against a receiver that limits connections.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "tests/support/fault_tmpfs.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(Volume, file_of_100_megabytes) {
  Scenario s;
  s.startRelay();
  ASSERT_TRUE(s.ready());

  writeRandomFile(s.src / "big.bin", 100ull << 20, 42);
  ASSERT_TRUE(s.converged(120s));
  // Rewritten in place with other bytes: the whole content must change on the targets.
  writeRandomFile(s.src / "big.bin", 100ull << 20, 4242);
  ASSERT_TRUE(s.converged(120s));
}

// sersync ran one rsync per file and target: with `max connections = 10` it lost most of a burst.
TEST(Volume, burst_of_10000_files_with_max_connections_10_is_batched) {
  // On a tmpfs the burst is written in about a second whatever the disk is doing: on a disk busy with
  // writeback, writing took 10-14 s, and a burst spread that thin is rightly sent as it comes (a batch
  // per ~300 ms), which says nothing about batching. Declared first, so it goes last.
  TmpdirOnTmpfs memoryTmp(1ull << 30);
  Scenario s({.modules = {"t1", "t2"}, .maxConnections = 10, .wrongPasswordModules = {}});
  s.startRelay();
  ASSERT_TRUE(s.ready());
  int before1 = s.daemon.connections("t1");
  int before2 = s.daemon.connections("t2");

  auto t0 = std::chrono::steady_clock::now();
  writeManyFiles(s.src, 10000);
  ASSERT_TRUE(s.converged(180s));
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  int used1 = s.daemon.connections("t1") - before1;
  int used2 = s.daemon.connections("t2") - before2;
  std::cout << "[ info ] 10,000 files in " << secs << " s; connections t1 " << used1 << ", t2 " << used2 << "\n";
  EXPECT_LE(used1, 30) << "fsrelay should batch a burst into few rsync runs";
  EXPECT_LE(used2, 30) << "fsrelay should batch a burst into few rsync runs";
}

}  // namespace
}  // namespace fsrelay::test
