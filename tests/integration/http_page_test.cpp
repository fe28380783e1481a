// The http plugin's status page in a real headless Chromium: its script must fetch /status and render it.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kChromium = "/usr/bin/chromium";

// The page's DOM after its script ran for 5 s of virtual time (Chromium's own output on stderr mixed in).
RunResult renderedDom(int port, const TempDir& tmp) {
  const fs::path profile = tmp.mkdir("chromium-profile");
  return runProgram({kChromium.string(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--user-data-dir=" + profile.string(), "--virtual-time-budget=5000",
                     "--dump-dom", "http://127.0.0.1:" + std::to_string(port) + "/"},
                    tmp / "chromium.log", 40s);
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

}  // namespace
}  // namespace fsrelay::test
