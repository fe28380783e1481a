// Unit tests for the journal file: what a restart reads back after records, checkpoints, compactions and
// full-sync markers, and the file's mode.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/journal/journal.hpp"
#include "tests/support/temp_dir.hpp"

using fsrelay::Journal;
using fsrelay::JournalState;

namespace {

struct TempJournal {
  fsrelay::test::TempDir dir{"fsrelay-journal"};
  std::string path = (dir / "journal").string();

  // What a restart reads from the file now.
  JournalState reopen() const {
    Journal j(path);
    JournalState state;
    std::vector<std::string> warnings;
    std::string error;
    EXPECT_TRUE(j.open(&state, &warnings, &error)) << error;
    return state;
  }
  std::string text() const {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

void open(Journal& j) {
  JournalState state;
  std::vector<std::string> warnings;
  std::string error;
  EXPECT_TRUE(j.open(&state, &warnings, &error)) << error;
}

}  // namespace

TEST(JournalFile, records_are_pending_until_a_checkpoint_and_the_file_is_0600) {
  TempJournal t;
  {
    Journal j(t.path);
    open(j);
    j.record("/src", "a.txt");
    j.record("/src", "dir/b\nwith newline");
    j.flush(0, true);
  }
  struct stat st;
  ASSERT_EQ(::stat(t.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  JournalState s = t.reopen();
  EXPECT_TRUE(s.existed);
  EXPECT_FALSE(s.checkpointNs);
  ASSERT_EQ(s.pending["/src"].size(), 2u);
  EXPECT_TRUE(s.pending["/src"].count("dir/b\nwith newline"));
}

TEST(JournalFile, a_checkpoint_forgets_what_came_before_it) {
  TempJournal t;
  {
    Journal j(t.path);
    open(j);
    j.record("/src", "a.txt");
    j.recordFullSync("/src");
    j.flush(0, true);
    j.checkpoint(12345);
    EXPECT_FALSE(j.dirty());
    j.record("/src", "after.txt");
    j.flush(100, true);
  }
  JournalState s = t.reopen();
  ASSERT_TRUE(s.checkpointNs);
  EXPECT_EQ(*s.checkpointNs, 12345);
  EXPECT_TRUE(s.fullSync.empty());
  ASSERT_EQ(s.pending["/src"].size(), 1u);
  EXPECT_TRUE(s.pending["/src"].count("after.txt"));
}

TEST(JournalFile, a_compaction_keeps_exactly_what_is_still_pending_and_the_full_syncs) {
  TempJournal t;
  {
    Journal j(t.path);
    open(j);
    for (int i = 0; i < 1000; ++i) j.record("/src", "f" + std::to_string(i));
    j.flush(0, true);
    EXPECT_EQ(j.recordsSinceCheckpoint(), 1000u);
    j.checkpoint(777, {{"/src", "f998"}, {"/src", "f999"}, {"/other", "x"}}, {"/other"});
    EXPECT_EQ(j.recordsSinceCheckpoint(), 3u);
    EXPECT_TRUE(j.dirty()) << "what is still pending needs the next checkpoint";
  }
  EXPECT_LT(t.text().size(), 100u) << t.text();
  JournalState s = t.reopen();
  EXPECT_EQ(*s.checkpointNs, 777);
  EXPECT_EQ(s.pending["/src"], (std::set<std::string>{"f998", "f999"}));
  EXPECT_EQ(s.pending["/other"], (std::set<std::string>{"x"}));
  EXPECT_EQ(s.fullSync, (std::set<std::string>{"/other"}));
}

TEST(JournalFile, a_full_sync_marker_survives_restarts_until_a_checkpoint) {
  TempJournal t;
  {
    Journal j(t.path);
    open(j);
    j.recordFullSync("/src");
    j.flush(0, true);
  }
  // The restart re-records what it read, so a second crash before any checkpoint still has it.
  EXPECT_EQ(t.reopen().fullSync, (std::set<std::string>{"/src"}));
  {
    Journal j(t.path);
    JournalState state;
    std::vector<std::string> warnings;
    std::string error;
    ASSERT_TRUE(j.open(&state, &warnings, &error));
    j.flush(0, true);
  }
  EXPECT_EQ(t.reopen().fullSync, (std::set<std::string>{"/src"}));
}
