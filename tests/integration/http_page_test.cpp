// The http plugin's status page in a real headless Chromium: its script must fetch /status and render it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kChromium = "/usr/bin/chromium";

// The page's DOM after its script ran for 5 s of virtual time (Chromium's own output on stderr mixed in).
// With screenshot set, a PNG of the page instead (docs/img/status-page.png is made this way).
RunResult renderedDom(int port, const TempDir& tmp, const std::string& screenshot = "") {
  const fs::path profile = tmp.mkdir(screenshot.empty() ? "chromium-profile" : "chromium-shot-profile");
  std::vector<std::string> argv{kChromium.string(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                                "--disable-sync", "--user-data-dir=" + profile.string(), "--virtual-time-budget=5000"};
  if (screenshot.empty()) {
    argv.push_back("--dump-dom");
  } else {
    argv.push_back("--hide-scrollbars");
    argv.push_back("--window-size=1500,1000");
    argv.push_back("--screenshot=" + screenshot);
  }
  argv.push_back("http://127.0.0.1:" + std::to_string(port) + "/");
  return runProgram(argv, tmp / "chromium.log", 40s);
}

TEST(HttpPage, chromium_renders_roots_and_targets_from_status) {
  if (!fs::exists(kChromium)) GTEST_SKIP() << "no " << kChromium;
  Scenario s;
  const int port = probeFreePort();
  s.config.host("127.0.0.1", port).enablePlugin("http").pluginSection("<plugin name=\"http\"/>");
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.relay().waitForLine("http endpoint listening on", 5s));
  writeFile(s.src / "a.txt", "a\n");
  ASSERT_TRUE(s.converged());

  const RunResult r = renderedDom(port, s.tmp);
  ASSERT_FALSE(r.timedOut) << r.output;
  ASSERT_TRUE(r.status.success()) << r.status.describe() << "\n" << r.output;
  const std::string& dom = r.output;
  ASSERT_NE(dom.find("<tbody id=\"targets\">"), std::string::npos) << dom;
  // Only the script puts these into the page: they come from /status.
  EXPECT_NE(dom.find("<td class=\"path\">" + s.src.string() + "</td>"), std::string::npos) << dom;
  EXPECT_NE(dom.find("127.0.0.1::t1"), std::string::npos) << dom;  // the rsync target's name
  EXPECT_NE(dom.find("127.0.0.1::t2"), std::string::npos) << dom;
  EXPECT_NE(dom.find(">in sync</span>"), std::string::npos) << dom;
  // The last refresh worked (the error text would replace this).
  EXPECT_NE(dom.find("<span id=\"conn\" class=\"muted\">updated "), std::string::npos) << dom;
}

// The scene of docs/img/status-page.png: one root in a slow full sync, another whose changes reach one
// remote (its rate chart shows them) and fail on the other (wrong password). The page draws the charts as
// SVG bars, a progress bar for the running sync, and the failing target's state and error.
// FSRELAY_SCREENSHOT=/path/status-page.png also saves a screenshot of the same moment.
TEST(HttpPage, chromium_draws_rate_charts_a_progress_bar_and_a_failing_target) {
  if (!fs::exists(kChromium)) GTEST_SKIP() << "no " << kChromium;
  RsyncDaemonOptions peers;
  peers.modules = {"www", "mirror", "backup"};
  peers.wrongPasswordModules = {"backup"};
  Scenario s(peers);
  // A screenshot waits for activity in several 10 s buckets of the charts: more to sync, bursts spread out.
  const char* shot = std::getenv("FSRELAY_SCREENSHOT");
  const bool screenshot = shot && *shot;
  const fs::path big = s.tmp.mkdir("media");
  for (int i = 0; i < (screenshot ? 3000 : 300); ++i) writeRandomFile(big / ("clip" + std::to_string(i) + ".bin"), 40 * 1024, i + 1);
  const int port = probeFreePort();
  ConfigWriter config;
  config.localpath(big, {"www"})
      .localpath(s.src, {"mirror", "backup"})
      .auth(s.daemon.user(), s.daemon.passwordFile())
      .port(s.daemon.port())
      .failLog(s.failLog)
      .stateDir(s.tmp / "state")
      .retry(3, 200, 1000)
      // 12 MB (120 MB for a screenshot) at about 1 MB/s: the full sync of media runs while the page is rendered.
      .commonParams("-artuz --bwlimit=1000")
      .host("127.0.0.1", port)
      .enablePlugin("http")
      .pluginSection("<plugin name=\"http\"/>");
  s.config = config;
  s.startRelay({"-r"});
  ASSERT_TRUE(s.relay().waitForLine("http endpoint listening on", 10s));
  // Activity in bursts; the mirror gets it, the backup keeps failing.
  for (int burst = 0; burst < 4; ++burst) {
    for (int i = 0; i < 8 + 6 * burst; ++i)
      writeFile(s.src / ("page" + std::to_string(burst) + "-" + std::to_string(i) + ".html"), "x\n");
    std::this_thread::sleep_for(screenshot ? 10s : 300ms);
  }
  const fs::path lastFile = s.daemon.moduleDir("mirror") / "page3-25.html";
  for (auto until = std::chrono::steady_clock::now() + 20s; !fs::exists(lastFile) && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(fs::exists(lastFile)) << s.relay().outputTail(30);

  const RunResult r = renderedDom(port, s.tmp);
  ASSERT_FALSE(r.timedOut) << r.output;
  ASSERT_TRUE(r.status.success()) << r.status.describe() << "\n" << r.output;
  const std::string& dom = r.output;
  // A rate chart with data: the mirror's changes, and the events (data-max is the peak bucket).
  EXPECT_TRUE(std::regex_search(dom, std::regex("<svg class=\"chart\"[^>]*data-max=\"[1-9][0-9]*\"[^>]*aria-label=\"changes delivered\"")))
      << dom;
  EXPECT_TRUE(std::regex_search(dom, std::regex("<svg class=\"chart\"[^>]*data-max=\"[1-9][0-9]*\"[^>]*aria-label=\"events\"")))
      << dom;
  EXPECT_NE(dom.find("<rect class=\"b\""), std::string::npos) << dom;
  // The running full sync: a progress bar and its counts.
  EXPECT_NE(dom.find("<svg class=\"pbar\""), std::string::npos) << dom;
  EXPECT_TRUE(std::regex_search(dom, std::regex(">behind: full sync [0-9]+%</span>"))) << dom;
  EXPECT_TRUE(std::regex_search(dom, std::regex("[0-9,]+ / [0-9,]+\\+? files"))) << dom;
  // The failing target and the root it belongs to.
  EXPECT_NE(dom.find(">failing</span>"), std::string::npos) << dom;
  EXPECT_NE(dom.find("127.0.0.1::backup"), std::string::npos) << dom;
  EXPECT_NE(dom.find("class=\"err\""), std::string::npos) << dom;

  if (screenshot) {
    const RunResult png = renderedDom(port, s.tmp, shot);
    EXPECT_TRUE(png.status.success()) << png.output;
  }
  // Let the slow sync end before the scenario stops fsrelay.
  EXPECT_TRUE(s.relay().waitForLine("full sync done — ", 60s)) << s.relay().outputTail(30);
}

}  // namespace
}  // namespace fsrelay::test
