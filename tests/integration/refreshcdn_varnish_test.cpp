// The refreshcdn plugin's http-purge provider against a real Varnish: an object cached before a change is
// fetched fresh from the backend after it.
#include <gtest/gtest.h>

#include <httplib.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "tests/support/config_writer.hpp"
#include "tests/support/refreshcdn_varnish.hpp"
#include "tests/support/scenario.hpp"
#include "tests/support/tree.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr char kSite[] = "www.example.test";

// The origin behind Varnish: serves the watched tree's files and counts how often each target was fetched.
class Backend {
 public:
  explicit Backend(fs::path root) : root_(std::move(root)) {
    server_.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mutex_);
        ++hits_[req.target];
      }
      const fs::path file = root_ / fs::path(req.path).relative_path();  // req.path is percent-decoded
      std::error_code ec;
      if (fs::is_regular_file(file, ec)) {
        res.set_content(readFile(file), "text/plain");
      } else {
        res.status = 404;
        res.set_content("missing\n", "text/plain");
      }
      res.set_header("Cache-Control", "max-age=600");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("Backend: cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Backend() {
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  int hits(const std::string& target) const {
    std::lock_guard lock(mutex_);
    auto it = hits_.find(target);
    return it == hits_.end() ? 0 : it->second;
  }

 private:
  fs::path root_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::map<std::string, int> hits_;
};

struct Fetched {
  int status = 0;
  std::string body;
};

// GET through Varnish as a browser would ask for the site: the target exactly as given, the site's Host.
Fetched fetch(int port, const std::string& target) {
  httplib::Client client("127.0.0.1", port);
  client.set_url_encode(false);
  client.set_connection_timeout(5);
  auto res = client.Get(target.c_str(), httplib::Headers{{"Host", kSite}});
  if (!res) return {};
  return {res->status, res->body};
}

TEST(RefreshCdnVarnish, http_purge_makes_varnish_fetch_the_changed_file_again) {
  ASSERT_EQ(::access(kVarnishd, X_OK), 0) << kVarnishd << " is missing: install Debian's varnish package";
  Scenario s;
  writeFile(s.src / "page.html", "v1");
  writeFile(s.src / "my page.html", "spaced v1");
  Backend backend(s.src);
  Varnish varnish(s.tmp / "varnish", backend.port());

  // Both objects are cached: the second fetch does not reach the backend.
  for (const auto& [target, body] : {std::pair{"/page.html", "v1"}, std::pair{"/my%20page.html", "spaced v1"}}) {
    EXPECT_EQ(fetch(varnish.port(), target).body, body) << target << "\n" << varnish.logTail(20);
    EXPECT_EQ(fetch(varnish.port(), target).body, body) << target;
    EXPECT_EQ(backend.hits(target), 1) << target << ": Varnish should have served the second fetch from its cache";
  }

  s.config
      .pluginSection("<plugin name=\"refreshCDN\"><localpath watch=\"" + xmlEscape(s.src.string()) + "\">" +
                     "<cdninfo provider=\"http-purge\"/>" + "<sendurl base=\"http://" + kSite + "/\"/>" +
                     "<cache url=\"http://127.0.0.1:" + std::to_string(varnish.port()) + "\"/>" +
                     "</localpath></plugin>")
      .logLevel("debug");
  s.startRelay({"-m", "refreshCDN"});
  ASSERT_TRUE(s.ready());

  // Changed after being cached: the purge must make the next fetch go to the backend and see the new content.
  std::size_t from = s.relay().outputSize();
  writeFile(s.src / "page.html", "v2");
  ASSERT_TRUE(s.relay().waitForLine("1 of 1 URL(s) purged", 10s, from)) << s.relay().outputTail(20);
  EXPECT_EQ(fetch(varnish.port(), "/page.html").body, "v2");
  EXPECT_EQ(backend.hits("/page.html"), 2);

  from = s.relay().outputSize();
  writeFile(s.src / "my page.html", "spaced v2");
  ASSERT_TRUE(s.relay().waitForLine("1 of 1 URL(s) purged", 10s, from)) << s.relay().outputTail(20);
  EXPECT_EQ(fetch(varnish.port(), "/my%20page.html").body, "spaced v2");
  EXPECT_EQ(backend.hits("/my%20page.html"), 2);

  // A deleted file is purged too: the cache stops serving it.
  from = s.relay().outputSize();
  fs::remove(s.src / "page.html");
  ASSERT_TRUE(s.relay().waitForLine("1 of 1 URL(s) purged", 10s, from)) << s.relay().outputTail(20);
  EXPECT_EQ(fetch(varnish.port(), "/page.html").status, 404);
  EXPECT_EQ(backend.hits("/page.html"), 3);

  // Untouched objects stay cached.
  EXPECT_EQ(fetch(varnish.port(), "/my%20page.html").body, "spaced v2");
  EXPECT_EQ(backend.hits("/my%20page.html"), 2);
  EXPECT_TRUE(s.terminatesCleanly());
}

}  // namespace
}  // namespace fsrelay::test
