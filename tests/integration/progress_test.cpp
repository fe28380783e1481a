// A slow -r full sync shows its progress: growing numbers in the log, a last "done" line, /status and /metrics.
#include <gtest/gtest.h>

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// 400 incompressible files of 16 kB (6.4 MB) pushed at 1.2 MB/s: about 5 s of full sync.
constexpr int kFiles = 400;
constexpr const char* kSlowParams = "-artuz --bwlimit=1200";

void makeTree(const fs::path& dir) {
  for (int i = 0; i < kFiles; ++i) {
    const fs::path sub = dir / ("d" + std::to_string(i % 4));
    fs::create_directories(sub);
    writeRandomFile(sub / ("f" + std::to_string(i)), 16 * 1024, static_cast<std::uint64_t>(i) + 1);
  }
}

std::uint64_t number(const std::string& digits) {
  std::string plain;
  for (char c : digits)
    if (c != ',') plain.push_back(c);
  return std::stoull(plain);
}

TEST(Progress, initial_sync_logs_growing_progress_and_status_shows_it) {
  Scenario s(RsyncDaemonOptions{.modules = {"t1"}});
  makeTree(s.src);
  const int port = probeFreePort();
  s.config.commonParams(kSlowParams).host("127.0.0.1", port).enablePlugin("http").pluginSection(
      "<plugin name=\"http\"/>");
  // Debug level: a progress line every second instead of every 10 (the log is a file: no terminal bar).
  s.startRelay({"-r", "--log-level", "debug"});
  ASSERT_TRUE(s.relay().waitForLine("http endpoint listening on", 10s));

  // While it runs, /status has a progress object with counts, and /metrics the gauges.
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5, 0);
  const std::regex progressRe("\"progress\":\\{\"reported\":true,\"files_done\":(\\d+),\"files_total\":(\\d+)");
  bool sawProgress = false, sawGauge = false;
  for (auto until = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < until && !sawProgress;) {
    if (auto r = client.Get("/status"); r && r->status == 200) {
      std::smatch m;
      if (std::regex_search(r->body, m, progressRe) && std::stoull(m[1]) > 0) {
        sawProgress = true;
        EXPECT_LE(std::stoull(m[1]), std::stoull(m[2])) << r->body;
        EXPECT_NE(r->body.find("\"full_sync\":\"running\""), std::string::npos) << r->body;
        auto metrics = client.Get("/metrics");
        ASSERT_TRUE(metrics);
        sawGauge = std::regex_search(metrics->body, std::regex("fsrelay_target_full_sync_files_done\\{[^}]*\\} [1-9]"));
        EXPECT_TRUE(sawGauge) << metrics->body;
      }
    }
    if (!sawProgress) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(sawProgress) << "no progress object in /status while the full sync ran\n" << s.relay().outputTail(40);

  ASSERT_TRUE(s.ready(60s));
  ASSERT_TRUE(s.relay().waitForLine("full sync done — ", 10s)) << s.relay().outputTail(40);
  ASSERT_TRUE(s.converged());

  // "NAME: full sync 45% — 12,345 of 27,000 files, 1.2 MB of 6.4 MB, 1.2 MB/s, ETA 0:03": growing counts.
  const std::string log = s.relay().output();
  const std::regex lineRe(": full sync (\\d+)% — ([0-9,]+) of ([0-9,]+)\\+? files, ([0-9.]+ [kMG]?B)");
  std::vector<std::uint64_t> done;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), lineRe); it != std::sregex_iterator(); ++it) {
    done.push_back(number((*it)[2]));
    EXPECT_LE(number((*it)[2]), number((*it)[3])) << (*it)[0];
  }
  ASSERT_GE(done.size(), 2u) << "expected a progress line per second of a ~5 s sync\n" << log;
  for (std::size_t i = 1; i < done.size(); ++i) EXPECT_GE(done[i], done[i - 1]) << log;
  EXPECT_GT(done.back(), done.front()) << log;
  // The last line counts every file (and the directories: rsync checks them too).
  std::smatch last;
  ASSERT_TRUE(std::regex_search(log, last, std::regex("full sync done — ([0-9,]+) files checked, [0-9.]+ [kMG]?B sent in")))
      << log;
  EXPECT_GE(number(last[1]), static_cast<std::uint64_t>(kFiles)) << last[0];
  // The old "still running" line is gone, and the plugin's per-run line is debug now (not info).
  EXPECT_EQ(log.find("full sync still running"), std::string::npos);
  EXPECT_FALSE(std::regex_search(log, std::regex("info: [^\n]*batch \\d+ full sync: "))) << log;
}

}  // namespace
}  // namespace fsrelay::test
