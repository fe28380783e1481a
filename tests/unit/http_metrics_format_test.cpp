// Unit tests of the http plugin's /metrics helper: appending families without duplicating the host's.
#include <gtest/gtest.h>

#include <string>

#include "http/metrics_format.hpp"

namespace fsrelay::http {
namespace {

TEST(HttpMetricsFormat, appends_help_type_and_sample) {
  const std::string out = appendMetrics("# HELP fsrelay_up Up.\n# TYPE fsrelay_up gauge\nfsrelay_up 1\n",
                                        {{"fsrelay_http_events_clients", "gauge", "Clients.", 3}});
  EXPECT_EQ(out,
            "# HELP fsrelay_up Up.\n# TYPE fsrelay_up gauge\nfsrelay_up 1\n"
            "# HELP fsrelay_http_events_clients Clients.\n# TYPE fsrelay_http_events_clients gauge\n"
            "fsrelay_http_events_clients 3\n");
}

TEST(HttpMetricsFormat, adds_a_missing_final_newline) {
  EXPECT_EQ(appendMetrics("a 1", {{"b", "gauge", "B", 2}}), "a 1\n# HELP b B\n# TYPE b gauge\nb 2\n");
  EXPECT_EQ(appendMetrics("", {{"b", "gauge", "B", 2}}), "# HELP b B\n# TYPE b gauge\nb 2\n");
}

TEST(HttpMetricsFormat, skips_a_family_the_host_already_exports) {
  const std::string host = "# TYPE fsrelay_http_webhook_posts_total counter\nfsrelay_http_webhook_posts_total 5\n";
  EXPECT_EQ(appendMetrics(host, {{"fsrelay_http_webhook_posts_total", "counter", "x", 1}}), host);
  EXPECT_TRUE(hasFamily("x{a=\"b\"} 1\n", "x"));
  EXPECT_FALSE(hasFamily("x_total 1\n", "x"));
  EXPECT_FALSE(hasFamily("# a comment about x\n", "x"));
}

TEST(HttpMetricsFormat, help_text_is_escaped) {
  const std::string out = appendMetrics("", {{"m", "counter", "a\\b\nc", 0}});
  EXPECT_NE(out.find("# HELP m a\\\\b\\nc\n"), std::string::npos);
}

}  // namespace
}  // namespace fsrelay::http
