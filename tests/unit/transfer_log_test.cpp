// Unit tests for per-target transfer lines (core/dispatch/transfer_log) with a fake clock.
#include <gtest/gtest.h>

#include <deque>
#include <random>

#include "core/dispatch/transfer_log.hpp"

namespace fsrelay {
namespace {

using namespace std::chrono_literals;
using Time = TransferLog::Time;

const Time kStart = Time() + 1000s;

DeliveryCounts counts(std::uint64_t up, std::uint64_t del = 0, std::uint64_t mv = 0) {
  DeliveryCounts c;
  c.upserts = up;
  c.deletes = del;
  c.moves = mv;
  return c;
}

TEST(TransferLog, first_delivery_after_quiet_is_written_at_once) {
  TransferLog t("rsync 127.0.0.1::m");
  auto line = t.delivered(counts(100, 15, 5), 34ms, kStart);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->text, "rsync 127.0.0.1::m: sent 120 changes (100 upserts, 15 deletes, 5 moves) in 1 batch, 34 ms");
  EXPECT_EQ(line->counts.total(), 120u);
  EXPECT_EQ(line->batches, 1u);
  auto one = TransferLog("t").delivered(counts(1), 5ms, kStart);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->text, "t: sent 1 change (1 upsert) in 1 batch, 5 ms");
}

TEST(TransferLog, nothing_delivered_writes_nothing) {
  TransferLog t("t");
  EXPECT_FALSE(t.delivered(counts(0), 5ms, kStart));
}

TEST(TransferLog, busy_stream_gives_one_summary_per_interval) {
  TransferLog t("t", 10s, 2s);
  std::vector<TransferLine> lines;
  // 25 s of back-to-back batches of 40 changes, each taking 100 ms.
  for (int i = 0; i < 250; ++i) {
    Time now = kStart + (i + 1) * 100ms;
    if (auto l = t.due(now)) lines.push_back(*l);
    if (auto l = t.delivered(counts(40), 100ms, now)) lines.push_back(*l);
  }
  for (Time now = kStart + 25s; now < kStart + 40s; now += 200ms)
    if (auto l = t.due(now)) lines.push_back(*l);
  ASSERT_EQ(lines.size(), 4u);  // the first batch, two interval summaries, the rest when the stream paused
  std::uint64_t sum = 0;
  for (const auto& l : lines) sum += l.counts.total();
  EXPECT_EQ(sum, 250u * 40);
  // The first batch had its own line; the summary holds the next 99, ending 10 s after that line.
  EXPECT_EQ(lines[0].counts.total(), 40u);
  EXPECT_EQ(lines[1].text, "t: sent 3,960 changes (3,960 upserts) in 99 batches over 9.9 s");
  EXPECT_EQ(lines[1].batches, 99u);
}

TEST(TransferLog, a_single_edit_after_a_stream_shows_without_waiting_for_the_interval) {
  TransferLog t("t", 10s, 2s);
  t.delivered(counts(1), 10ms, kStart);
  t.delivered(counts(5), 10ms, kStart + 500ms);  // pending
  auto summary = t.due(kStart + 2600ms);           // the stream paused
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->counts.total(), 5u);
  auto single = t.delivered(counts(1), 10ms, kStart + 5s);
  ASSERT_TRUE(single);
  EXPECT_EQ(single->text, "t: sent 1 change (1 upsert) in 1 batch, 10 ms");
}

TEST(TransferLog, flush_writes_what_is_pending) {
  TransferLog t("t", 10s, 2s);
  t.delivered(counts(1), 10ms, kStart);
  t.delivered(counts(2, 3), 10ms, kStart + 100ms);
  EXPECT_FALSE(t.due(kStart + 200ms));
  auto l = t.flush(kStart + 200ms);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->counts.total(), 5u);
  EXPECT_FALSE(t.flush(kStart + 300ms));
}

// Against any timing: every delivered change is in exactly one line, and no interval holds more than a few
// lines (the bound the Info log relies on: at most one immediate line per quiet gap plus the summaries).
TEST(TransferLog, random_timings_conserve_counts_and_bound_lines) {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    TransferLog t("t", 10s, 2s);
    Time now = kStart;
    std::uint64_t sent = 0, logged = 0;
    std::deque<Time> lineTimes;
    auto take = [&](std::optional<TransferLine> l) {
      if (!l) return;
      logged += l->counts.total();
      lineTimes.push_back(now);
    };
    for (int i = 0; i < 300; ++i) {
      now += std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 4000)(rng));
      take(t.due(now));
      DeliveryCounts c = counts(std::uniform_int_distribution<int>(0, 50)(rng), rng() % 3, rng() % 2);
      sent += c.total();
      take(t.delivered(c, 20ms, now));
    }
    take(t.flush(now));
    EXPECT_EQ(logged, sent);
    for (std::size_t i = 0; i + 12 < lineTimes.size(); ++i)
      EXPECT_GE(lineTimes[i + 12] - lineTimes[i], 10s) << "more than 12 lines within 10 s";
  }
}

TEST(TransferLog, grouped_numbers) {
  EXPECT_EQ(groupedNumber(0), "0");
  EXPECT_EQ(groupedNumber(999), "999");
  EXPECT_EQ(groupedNumber(1000), "1,000");
  EXPECT_EQ(groupedNumber(12345678), "12,345,678");
}

}  // namespace
}  // namespace fsrelay
