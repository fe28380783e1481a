// Unit tests for log repeat limiting (core/log/rate_limiter) with a fake clock.
#include <gtest/gtest.h>

#include <string>

#include "core/log/rate_limiter.hpp"

namespace fsrelay::log {
namespace {

using namespace std::chrono_literals;
using Time = RateLimiter::Time;

const Time kStart = Time() + 1000s;

TEST(RateLimiter, shape_key_ignores_numbers_but_not_words) {
  EXPECT_EQ(shapeKey(Level::Warn, "t: next attempt in 1873 ms (consecutive failure 7)"),
            shapeKey(Level::Warn, "t: next attempt in 250 ms (consecutive failure 12)"));
  EXPECT_EQ(shapeKey(Level::Info, "sent 12,345 changes over 9.8 s"), shapeKey(Level::Info, "sent 7 changes over 10.1 s"));
  EXPECT_NE(shapeKey(Level::Warn, "a: delivery failed"), shapeKey(Level::Warn, "b: delivery failed"));
  EXPECT_NE(shapeKey(Level::Warn, "x"), shapeKey(Level::Info, "x"));
  // A comma after a number is punctuation, not part of it.
  EXPECT_EQ(shapeKey(Level::Info, "3, then 4"), shapeKey(Level::Info, "5, then 6"));
  EXPECT_NE(shapeKey(Level::Info, "3, then"), shapeKey(Level::Info, "3 then"));
}

TEST(RateLimiter, repeats_beyond_per_key_are_counted_and_summarised_when_the_window_ends) {
  RateLimiter r(RateLimit{10s, 3, 200, 1024});
  int passed = 0;
  for (int i = 0; i < 20; ++i) {
    auto v = r.admit(Level::Warn, "t: delivery failed; next attempt in " + std::to_string(100 + i) + " ms", kStart + i * 100ms);
    EXPECT_TRUE(v.before.empty());
    passed += v.pass;
  }
  EXPECT_EQ(passed, 3);
  EXPECT_TRUE(r.due(kStart + 9999ms).empty());
  auto s = r.due(kStart + 10s);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].level, Level::Warn);
  EXPECT_EQ(s[0].suppressed, 17u);
  // The summary shows the newest suppressed line, so the current state (here the delay) is not lost.
  EXPECT_EQ(s[0].message, "t: delivery failed; next attempt in 119 ms (17 similar lines suppressed in the last 10 s)");
  EXPECT_TRUE(r.due(kStart + 20s).empty()) << "a summary is given once";
  // The next window starts afresh.
  EXPECT_TRUE(r.admit(Level::Warn, "t: delivery failed; next attempt in 5 ms", kStart + 11s).pass);
}

TEST(RateLimiter, summary_comes_before_the_next_line_that_passes) {
  RateLimiter r(RateLimit{10s, 1, 200, 1024});
  r.admit(Level::Warn, "x 1", kStart);
  EXPECT_FALSE(r.admit(Level::Warn, "x 2", kStart + 1s).pass);
  auto v = r.admit(Level::Info, "unrelated", kStart + 12s);
  EXPECT_TRUE(v.pass);
  ASSERT_EQ(v.before.size(), 1u);
  EXPECT_EQ(v.before[0].message, "x 2 (1 similar line suppressed in the last 10 s)");
}

TEST(RateLimiter, lines_that_differ_in_words_are_limited_apart) {
  RateLimiter r(RateLimit{10s, 2, 200, 1024});
  for (int i = 0; i < 5; ++i) r.admit(Level::Warn, "a: delivery failed", kStart);
  EXPECT_TRUE(r.admit(Level::Warn, "b: delivery failed", kStart).pass) << "another target's first failure shows";
  auto s = r.due(kStart + 10s);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].suppressed, 3u);
}

TEST(RateLimiter, first_error_of_a_shape_passes_even_when_the_budget_is_spent) {
  RateLimiter r(RateLimit{10s, 3, 5, 1024});
  for (int i = 0; i < 50; ++i) r.admit(Level::Info, "file " + std::string(1, char('a' + i % 26)) + std::to_string(i), kStart);
  EXPECT_FALSE(r.admit(Level::Warn, "a new warning", kStart).pass);
  EXPECT_TRUE(r.admit(Level::Error, "journal cannot be written", kStart).pass);
  // Repeats of an error are still limited per shape (first perKey pass).
  EXPECT_TRUE(r.admit(Level::Error, "journal cannot be written", kStart).pass);
  EXPECT_TRUE(r.admit(Level::Error, "journal cannot be written", kStart).pass);
  EXPECT_FALSE(r.admit(Level::Error, "journal cannot be written", kStart).pass);
}

TEST(RateLimiter, a_storm_of_different_lines_is_cut_at_the_window_budget) {
  RateLimiter r(RateLimit{10s, 3, 100, 100000});
  int passed = 0;
  for (int i = 0; i < 10000; ++i)
    passed += r.admit(Level::Warn, "cannot read dir" + std::string(1, char('a' + i % 26)) + "/x" + std::string(i % 7, 'y'),
                      kStart + i * 1ms)
                  .pass;
  EXPECT_EQ(passed, 100);
  auto s = r.due(kStart + 10s);
  std::uint64_t budget = 0;
  for (const auto& x : s)
    if (x.message.find("log lines suppressed") != std::string::npos) budget = x.suppressed;
  EXPECT_GT(budget, 9000u);
}

TEST(RateLimiter, beyond_max_keys_new_shapes_pass_untracked) {
  RateLimiter r(RateLimit{10s, 1, 1000000, 2});
  r.admit(Level::Info, "a", kStart);
  r.admit(Level::Info, "b", kStart);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(r.admit(Level::Info, "c", kStart).pass);
  EXPECT_FALSE(r.admit(Level::Info, "a", kStart).pass);
}

}  // namespace
}  // namespace fsrelay::log
