// Unit tests for the fail log: line format with hostile names, persistence, removal only on delivery.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "core/dispatch/fail_log.hpp"
#include "core/util/escape.hpp"

using fsrelay::FailEntry;
using fsrelay::FailLog;

namespace {
struct TempPath {
  std::string dir;
  TempPath() {
    char tmpl[] = "/tmp/fsrelay-faillog-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~TempPath() {
    ::unlink((dir + "/fail.log").c_str());
    ::unlink((dir + "/fail.log.tmp").c_str());
    ::rmdir(dir.c_str());
  }
};
}  // namespace

TEST(Escape, round_trips_every_byte) {
  std::string all;
  for (int c = 1; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string esc = fsrelay::escapeBytes(all);
  EXPECT_EQ(esc.find('\n'), std::string::npos);
  EXPECT_EQ(esc.find('\t'), std::string::npos);
  auto back = fsrelay::unescapeBytes(esc);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, all);
  EXPECT_FALSE(fsrelay::unescapeBytes("bad\\q"));
  EXPECT_FALSE(fsrelay::unescapeBytes("bad\\x4"));
}

TEST(FailLog, line_round_trips_hostile_names) {
  FailEntry e{"rsync /srv -> u@127.0.0.1::t1", "/srv", "upsert", false, "a dir/new\nline\t$(x) \xff\xfe-"};
  FailEntry back;
  ASSERT_TRUE(FailLog::parseLine(FailLog::formatLine(e), &back));
  EXPECT_EQ(back.path, e.path);
  EXPECT_EQ(back.target, e.target);
  EXPECT_EQ(back.kind, "upsert");
}

TEST(FailLog, rejects_sersync_style_lines) {
  FailEntry e;
  EXPECT_FALSE(FailLog::parseLine("rsync -artuz -R --delete ./ 127.0.0.1::www", &e));
}

TEST(FailLog, persists_with_mode_0600_and_keeps_entries_until_removed) {
  TempPath t;
  std::string path = t.dir + "/fail.log";
  {
    FailLog log(path);
    log.add({FailEntry{"T1", "/srv", "upsert", false, "a"}, FailEntry{"T1", "/srv", "delete", true, "b"},
             FailEntry{"T2", "/srv", "full", true, "."}});
  }
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  FailLog again(path);
  std::string err;
  std::vector<std::string> warnings;
  ASSERT_TRUE(again.load(&err, &warnings));
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(again.size(), 3u);
  EXPECT_EQ(again.sizeFor("T1"), 2u);
  again.remove("T1", {"a"});
  FailLog third(path);
  ASSERT_TRUE(third.load(&err, &warnings));
  EXPECT_EQ(third.sizeFor("T1"), 1u);
  EXPECT_EQ(third.entriesFor("T1")[0].path, "b");
  EXPECT_EQ(third.entriesFor("T2")[0].kind, "full");
}

TEST(FailLog, malformed_lines_are_warned_not_fatal) {
  TempPath t;
  std::string path = t.dir + "/fail.log";
  std::ofstream(path) << "rsync -artuz ./x 1.2.3.4::m\nT\t/r\tupsert\tfile\tok\n";
  FailLog log(path);
  std::string err;
  std::vector<std::string> warnings;
  ASSERT_TRUE(log.load(&err, &warnings));
  EXPECT_EQ(log.size(), 1u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(":1:"), std::string::npos);
}
