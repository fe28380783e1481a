// Unit tests of a full sync's progress: rate and ETA from samples on a fake clock, and the bucketed rates.
#include <gtest/gtest.h>

#include "core/dispatch/rate_history.hpp"
#include "core/dispatch/sync_progress.hpp"

namespace fsrelay {
namespace {

ProgressCounts counts(std::uint64_t files, std::uint64_t total, std::uint64_t bytes, bool final = true) {
  return ProgressCounts{files, total, bytes, bytes * 2, final};
}

TEST(SyncProgress, nothing_before_the_first_sync) {
  SyncProgress p;
  p.update(counts(1, 2, 3), 100);  // no sync runs: ignored
  const ProgressView v = p.view(200);
  EXPECT_FALSE(v.running);
  EXPECT_FALSE(v.reported);
  EXPECT_EQ(v.generation, 0u);
  EXPECT_EQ(v.etaMs, -1);
}

TEST(SyncProgress, rate_and_eta_from_the_samples) {
  SyncProgress p;
  p.begin(1000);
  EXPECT_FALSE(p.view(1000).reported);
  p.update(counts(100, 1000, 1'000'000), 3000);  // 2 s: 50 files/s, 500 kB/s
  ProgressView v = p.view(3000);
  EXPECT_TRUE(v.running);
  EXPECT_TRUE(v.reported);
  EXPECT_EQ(v.percent, 10);
  EXPECT_DOUBLE_EQ(v.filesPerSecond, 50);
  EXPECT_DOUBLE_EQ(v.bytesPerSecond, 500'000);
  EXPECT_EQ(v.etaMs, 18000) << "900 files left at 50 files/s";
  EXPECT_EQ(v.elapsedMs, 2000);
}

TEST(SyncProgress, the_rate_follows_the_last_window) {
  SyncProgress p;
  p.begin(0);
  // Fast for a minute, then slow: the rate is the recent one, not the average.
  for (std::int64_t t = 1000; t <= 60000; t += 1000) p.update(counts(t / 10, 100000, 0), t);
  for (std::int64_t t = 61000; t <= 100000; t += 1000) p.update(counts(6000 + (t - 60000) / 1000, 100000, 0), t);
  const ProgressView v = p.view(100000);
  EXPECT_NEAR(v.filesPerSecond, 1.0, 0.01);
}

TEST(SyncProgress, a_sync_that_stops_reporting_slows_down) {
  SyncProgress p;
  p.begin(0);
  p.update(counts(100, 200, 0), 10000);
  EXPECT_DOUBLE_EQ(p.view(10000).filesPerSecond, 10);
  EXPECT_DOUBLE_EQ(p.view(20000).filesPerSecond, 5);
}

TEST(SyncProgress, no_eta_while_the_totals_grow) {
  SyncProgress p;
  p.begin(0);
  p.update(counts(100, 200, 0, false), 1000);
  EXPECT_EQ(p.view(1000).etaMs, -1);
  EXPECT_GT(p.view(1000).filesPerSecond, 0);
}

TEST(SyncProgress, end_keeps_the_counts_and_the_average) {
  SyncProgress p;
  p.begin(0);
  p.update(counts(1000, 1000, 4'000'000), 4000);
  p.end(8000, true);
  p.update(counts(1, 1, 1), 9000);  // after the end: ignored
  const ProgressView v = p.view(50000);
  EXPECT_FALSE(v.running);
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.counts.filesDone, 1000u);
  EXPECT_EQ(v.elapsedMs, 8000);
  EXPECT_DOUBLE_EQ(v.bytesPerSecond, 500'000);
  EXPECT_EQ(v.etaMs, -1);
}

TEST(SyncProgress, each_sync_starts_from_zero_with_a_new_generation) {
  SyncProgress p;
  p.begin(0);
  p.update(counts(5, 10, 5), 1000);
  p.end(2000, false);
  EXPECT_FALSE(p.view(2000).ok);
  p.begin(3000);
  const ProgressView v = p.view(3000);
  EXPECT_EQ(v.generation, 2u);
  EXPECT_FALSE(v.reported);
  EXPECT_EQ(v.counts.filesDone, 0u);
}

TEST(RateHistory, counts_land_in_ten_second_buckets) {
  RateHistory h(6, 10000);
  h.add(1000, 3);
  h.add(9000, 2);
  h.add(15000, 7);
  EXPECT_EQ(h.series(15000), (std::vector<std::uint64_t>{0, 0, 0, 0, 5, 7}));
  // Time passes with nothing: the old buckets move left and fall off.
  EXPECT_EQ(h.series(45000), (std::vector<std::uint64_t>{0, 5, 7, 0, 0, 0}));
  EXPECT_EQ(h.series(200000), (std::vector<std::uint64_t>(6, 0)));
}

TEST(RateHistory, adding_after_a_long_pause_clears_the_old_buckets) {
  RateHistory h(4, 1000);
  for (int i = 0; i < 4; ++i) h.add(i * 1000, 1);
  h.add(5500, 9);  // buckets 4 and 5: 4 is skipped (0), 5 gets 9
  EXPECT_EQ(h.series(5500), (std::vector<std::uint64_t>{1, 1, 0, 9}));
  h.add(100000, 1);
  EXPECT_EQ(h.series(100000), (std::vector<std::uint64_t>{0, 0, 0, 1}));
}

TEST(RateHistory, observe_turns_a_cumulative_counter_into_rates) {
  RateHistory h(3, 1000);
  h.observe(0, 500);  // the base: what came before is no rate
  h.observe(500, 510);
  h.observe(1500, 530);
  h.observe(2500, 530);
  EXPECT_EQ(h.series(2500), (std::vector<std::uint64_t>{10, 20, 0}));
}

TEST(RateHistory, an_earlier_time_lands_in_the_newest_bucket) {
  RateHistory h(3, 1000);
  h.add(2500, 1);
  h.add(1500, 1);  // read a moment before, added after
  EXPECT_EQ(h.series(2500), (std::vector<std::uint64_t>{0, 0, 2}));
}

}  // namespace
}  // namespace fsrelay
