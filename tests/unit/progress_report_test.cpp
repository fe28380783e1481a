// Unit tests of how a full sync's progress reads: counts, sizes, clocks, the log line and the terminal bar.
#include <gtest/gtest.h>

#include "core/engine/progress_report.hpp"

namespace fsrelay {
namespace {

ProgressView running() {
  ProgressView v;
  v.running = true;
  v.reported = true;
  v.generation = 1;
  v.counts = ProgressCounts{12345, 27000, 1'200'000'000, 2'700'000'000, true};
  v.percent = 45;
  v.bytesPerSecond = 35'000'000;
  v.etaMs = 43000;
  v.elapsedMs = 30000;
  return v;
}

TEST(ProgressReport, formats_counts_bytes_and_clocks) {
  EXPECT_EQ(formatCount(0), "0");
  EXPECT_EQ(formatCount(999), "999");
  EXPECT_EQ(formatCount(1000), "1,000");
  EXPECT_EQ(formatCount(27000000), "27,000,000");
  EXPECT_EQ(formatBytes(512), "512 B");
  EXPECT_EQ(formatBytes(1'200'000'000), "1.2 GB");
  EXPECT_EQ(formatBytes(35'000'000), "35.0 MB");
  EXPECT_EQ(formatBytes(350'000'000), "350 MB");
  EXPECT_EQ(formatBytes(999'999), "1.0 MB");
  EXPECT_EQ(formatClock(43000), "0:43");
  EXPECT_EQ(formatClock(77000), "1:17");
  EXPECT_EQ(formatClock(3'723'000), "1:02:03");
}

TEST(ProgressReport, the_log_line_says_files_bytes_rate_and_eta) {
  EXPECT_EQ(progressLine("rsync /a -> h::m", running()),
            "rsync /a -> h::m: full sync 45% — 12,345 of 27,000 files, 1.2 GB of 2.7 GB, 35.0 MB/s, ETA 0:43");
}

TEST(ProgressReport, growing_totals_have_a_plus_and_no_eta) {
  ProgressView v = running();
  v.counts.totalsFinal = false;
  v.counts.bytesTotal = 0;
  v.etaMs = -1;
  EXPECT_EQ(progressLine("t", v),
            "t: full sync 45% — 12,345 of 27,000+ files, 1.2 GB, 35.0 MB/s, ETA unknown (still listing files)");
}

TEST(ProgressReport, before_the_first_report) {
  ProgressView v;
  v.running = true;
  v.generation = 1;
  v.elapsedMs = 12000;
  EXPECT_EQ(progressLine("t", v), "t: full sync running for 0:12 (no progress reported yet)");
}

TEST(ProgressReport, the_last_line_says_how_it_ended) {
  ProgressView v = running();
  v.running = false;
  v.ok = true;
  v.elapsedMs = 77000;
  EXPECT_EQ(progressDoneLine("t", v), "t: full sync done — 12,345 files checked, 1.2 GB sent in 1:17 (35.0 MB/s)");
  v.ok = false;
  EXPECT_EQ(progressDoneLine("t", v), "t: full sync failed after 1:17 — 12,345 files checked, 1.2 GB sent (35.0 MB/s)");
}

TEST(ProgressReport, the_bar_fills_with_the_percentage_and_fits_the_width) {
  const std::string bar = progressBar("rsync /a -> h::m", running(), 200);
  EXPECT_EQ(bar, "[#########-----------]  45%  12,345/27,000 files  1.2 GB  35.0 MB/s  ETA 0:43  rsync /a -> h::m");
  EXPECT_EQ(progressBar("rsync /a -> h::m", running(), 40).size(), 40u);
  // A name in UTF-8 (or not UTF-8 at all) is escaped to ASCII: bytes are columns, nothing is cut mid-glyph.
  const std::string named = progressBar("rsync /caf\xc3\xa9/\xff -> h::m", running(), 200);
  EXPECT_NE(named.find("caf\\xc3\\xa9/\\xff"), std::string::npos) << named;
  for (unsigned char c : named) EXPECT_LT(c, 0x80) << named;
  ProgressView done = running();
  done.percent = 100;
  EXPECT_EQ(progressBar("t", done, 200).substr(0, 22), "[####################]");
}

TEST(ProgressReport, a_name_with_control_bytes_is_escaped) {
  EXPECT_EQ(progressLine("a\nb", running()).find('\n'), std::string::npos);
}

}  // namespace
}  // namespace fsrelay
