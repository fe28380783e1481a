// Unit tests for backoff: exponential growth, the cap, and jitter bounds.
#include <gtest/gtest.h>

#include "core/dispatch/retry_policy.hpp"
#include "core/plugin/plugin_loader.hpp"

using namespace std::chrono_literals;

TEST(RetryPolicy, grows_exponentially_and_caps) {
  fsrelay::RetryPolicy p{8, 250ms, 8000ms};
  EXPECT_EQ(p.delay(0, 0.5), 0ms);
  EXPECT_EQ(p.delay(1, 1.0), 250ms);
  EXPECT_EQ(p.delay(2, 1.0), 500ms);
  EXPECT_EQ(p.delay(3, 1.0), 1000ms);
  EXPECT_EQ(p.delay(20, 1.0), 8000ms);
  EXPECT_EQ(p.delay(1000, 1.0), 8000ms);
}

TEST(RetryPolicy, jitter_stays_within_half_and_full) {
  fsrelay::RetryPolicy p{8, 250ms, 8000ms};
  EXPECT_EQ(p.delay(3, 0.0), 500ms);
  EXPECT_EQ(p.delay(3, 0.5), 750ms);
  EXPECT_EQ(p.delay(30, 0.0), 4000ms);
}

TEST(PluginStamp, parses_version_and_abi_from_the_export_name) {
  fsrelay::StampInfo s;
  ASSERT_TRUE(fsrelay::parseStamp("fsrelay_stamp_v1_3_abi_itanium_cxx11_lp64", &s));
  EXPECT_EQ(s.major, 1);
  EXPECT_EQ(s.minor, 3);
  EXPECT_EQ(s.abiTag, "itanium_cxx11_lp64");
  EXPECT_FALSE(fsrelay::parseStamp("fsrelay_plugin_api_v1", &s));
  EXPECT_FALSE(fsrelay::parseStamp("fsrelay_stamp_vX_abi_", &s));
}
