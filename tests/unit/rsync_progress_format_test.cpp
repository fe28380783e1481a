// Unit tests of the rsync plugin's progress2 parser: lines, growing totals, chunks split anywhere, \r redraws.
#include <gtest/gtest.h>

#include <string>

#include "rsync/rsync_progress_format.hpp"

namespace fsrelay::rsync {
namespace {

TEST(RsyncProgress, parses_a_progress2_line_with_final_totals) {
  auto line = parseProgressLine("      5,994,000  99%    3.11MB/s    0:00:01 (xfr#2997, to-chk=3/3001)");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->bytes, 5994000u);
  EXPECT_EQ(line->percent, 99);
  EXPECT_TRUE(line->hasFiles);
  EXPECT_EQ(line->filesDone, 2998u);
  EXPECT_EQ(line->filesTotal, 3001u);
  EXPECT_TRUE(line->totalsFinal);
}

TEST(RsyncProgress, ir_chk_means_the_totals_still_grow) {
  auto line = parseProgressLine("              7   0%    0.98kB/s    0:00:00 (xfr#2, ir-chk=1038/1071)");
  ASSERT_TRUE(line);
  EXPECT_FALSE(line->totalsFinal);
  EXPECT_EQ(line->filesDone, 33u);
  EXPECT_EQ(line->filesTotal, 1071u);
}

TEST(RsyncProgress, the_first_line_has_no_file_counts) {
  auto line = parseProgressLine("         20,000   0%    0.00kB/s    0:00:00  ");
  ASSERT_TRUE(line);
  EXPECT_FALSE(line->hasFiles);
  EXPECT_EQ(line->bytes, 20000u);
}

TEST(RsyncProgress, other_lines_are_not_progress) {
  for (const char* text : {"", "sending incremental file list", "rsync: [sender] link_stat \"/x\" failed: No such file",
                           "rsync error: some files/attrs were not transferred (code 23) at main.c(1338) [sender=3.2.7]",
                           "  12  99% 1MB/s", "12 101% 1MB/s 0:00:01", "1,2 5% 1MB/s 0:00:01 (xfr#1, to-chk=5/3)",
                           "12 5% 1MB/s 0:00:01 (xfr#1, to-chk=3/5) trailing"}) {
    EXPECT_FALSE(parseProgressLine(text)) << text;
  }
}

TEST(RsyncProgress, estimates_the_listed_size_from_the_percentage) {
  ProgressLine l;
  l.bytes = 1000;
  l.percent = 25;
  EXPECT_EQ(estimatedTotalBytes(l), 4000u);
  l.percent = 0;
  EXPECT_EQ(estimatedTotalBytes(l), 0u) << "0 % says nothing about the total";
  l.percent = 100;
  l.bytes = 6000000;
  EXPECT_EQ(estimatedTotalBytes(l), 6000000u);
}

TEST(RsyncProgress, chunks_split_anywhere_give_the_same_lines) {
  const std::string out =
      "\r         20,000   0%    0.00kB/s    0:00:00  \r         40,000   1%   19.07MB/s    0:00:00 (xfr#2, "
      "ir-chk=298/301)\r      6,000,000 100%   57.61MB/s    0:00:00 (xfr#300, to-chk=0/301)\n";
  for (std::size_t step = 1; step <= out.size(); ++step) {
    ProgressParser p;
    int changes = 0;
    for (std::size_t i = 0; i < out.size(); i += step) changes += p.feed(out.substr(i, step)) ? 1 : 0;
    ASSERT_TRUE(p.seen()) << step;
    EXPECT_GE(changes, 1) << step;
    EXPECT_EQ(p.latest().bytes, 6000000u) << step;
    EXPECT_EQ(p.latest().filesDone, 301u) << step;
    EXPECT_TRUE(p.latest().totalsFinal) << step;
    EXPECT_EQ(p.otherOutput(), "") << step;
  }
}

TEST(RsyncProgress, a_line_without_counts_keeps_the_last_counts) {
  ProgressParser p;
  p.feed("\r     10   0%    0.00kB/s    0:00:00 (xfr#1, ir-chk=9/20)\r");
  p.feed("     20   0%    0.00kB/s    0:00:00  \r");
  EXPECT_EQ(p.latest().bytes, 20u);
  EXPECT_EQ(p.latest().filesDone, 11u);
  EXPECT_EQ(p.latest().filesTotal, 20u);
  EXPECT_FALSE(p.latest().totalsFinal);
}

TEST(RsyncProgress, totals_grow_until_the_list_is_complete) {
  ProgressParser p;
  p.feed("\r     10   0%    0.00kB/s    0:00:00 (xfr#1, ir-chk=90/100)");
  p.feed("\r     20   0%    0.00kB/s    0:00:00 (xfr#2, ir-chk=150/170)");
  EXPECT_EQ(p.latest().filesTotal, 100u) << "a line counts once it ends";
  p.feed("\r");
  EXPECT_EQ(p.latest().filesTotal, 170u);
  EXPECT_FALSE(p.latest().totalsFinal);
  p.feed("\r     30   0%    0.00kB/s    0:00:00 (xfr#3, to-chk=100/200)\r");
  EXPECT_EQ(p.latest().filesTotal, 200u);
  EXPECT_EQ(p.latest().filesDone, 100u);
  EXPECT_TRUE(p.latest().totalsFinal);
}

TEST(RsyncProgress, keeps_the_other_lines_for_the_failure_message) {
  ProgressParser p(64);
  p.feed("rsync: [sender] send_files failed to open \"/src/x\": Permission denied (13)\n");
  for (int i = 0; i < 1000; ++i) p.feed("\r  1,000  50%  1.00MB/s  0:00:01 (xfr#1, to-chk=1/2)");
  p.feed("\nrsync error: some files/attrs were not transferred (code 23)");
  p.finish();
  // Bounded, whole lines, the newest kept, no redraw among them.
  EXPECT_EQ(p.otherOutput(), "rsync error: some files/attrs were not transferred (code 23)\n");
  ProgressParser big;
  big.feed("rsync: [sender] send_files failed (13)\n");
  for (int i = 0; i < 1000; ++i) big.feed("\r  1,000  50%  1.00MB/s  0:00:01 (xfr#1, to-chk=1/2)");
  big.feed("\nrsync error: code 23\n");
  EXPECT_EQ(big.otherOutput(), "rsync: [sender] send_files failed (13)\nrsync error: code 23\n");
}

TEST(RsyncProgress, an_endless_line_is_cut_not_buffered) {
  ProgressParser p;
  for (int i = 0; i < 1000; ++i) p.feed(std::string(1000, 'x'));
  p.feed("\n");
  EXPECT_FALSE(p.seen());
  EXPECT_EQ(p.otherOutput().size(), 4097u);
}

}  // namespace
}  // namespace fsrelay::rsync
