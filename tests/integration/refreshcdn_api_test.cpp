// The installed daemon's refreshcdn plugin (-m refreshCDN) against a local HTTP server standing in for the
// ChinaCache and JSON purge APIs: exact request shapes, encoding, batching, token, retries, no secrets in logs.
#include <gtest/gtest.h>

#include <httplib.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/config_writer.hpp"
#include "tests/support/process.hpp"
#include "tests/support/rsync_daemon.hpp"
#include "tests/support/scenario.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tree.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Recorded {
  std::string method;
  std::string target;  // the raw request target: path and query exactly as sent
  std::string body;
  httplib::Headers headers;
  Clock::time_point at;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// An HTTP server on 127.0.0.1 recording every GET, HEAD and POST. statusFor decides each reply's status
// (index counts from 0); hold() makes the next request wait in the handler until release().
class RecordingServer {
 public:
  using StatusFn = std::function<int(const Recorded&, std::size_t index)>;

  // port 0: any free port.
  explicit RecordingServer(StatusFn statusFor = {}, httplib::Server* server = nullptr, int port = 0)
      : owned_(server == nullptr ? std::make_unique<httplib::Server>() : nullptr),
        server_(server != nullptr ? server : owned_.get()),
        statusFor_(std::move(statusFor)) {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Recorded r{req.method, req.target, req.body, req.headers, Clock::now()};
      std::size_t index = 0;
      {
        std::unique_lock lock(mutex_);
        index = requests_.size();
        requests_.push_back(r);
        changed_.notify_all();
        changed_.wait(lock, [&] { return !held_; });
      }
      res.status = statusFor_ ? statusFor_(r, index) : 200;
      res.set_content(res.status == 200 ? "ok\n" : "refused\n", "text/plain");
    };
    server_->Get(".*", handler);
    server_->Post(".*", handler);
    port_ = port;
    if (port == 0) port_ = server_->bind_to_any_port("127.0.0.1");
    else if (!server_->bind_to_port("127.0.0.1", port)) port_ = 0;
    if (port_ <= 0) throw std::runtime_error("RecordingServer: cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }

  ~RecordingServer() {
    release();
    server_->stop();
    thread_.join();
  }

  int port() const { return port_; }

  void hold() {
    std::lock_guard lock(mutex_);
    held_ = true;
  }
  void release() {
    std::lock_guard lock(mutex_);
    held_ = false;
    changed_.notify_all();
  }

  std::vector<Recorded> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  // Waits until pred holds over the requests so far.
  bool waitUntil(const std::function<bool(const std::vector<Recorded>&)>& pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return pred(requests_); });
  }

  // Waits until some request has exactly this target (or count of them).
  bool waitForTarget(const std::string& target, std::chrono::milliseconds timeout, std::size_t count = 1) {
    return waitUntil([&](const std::vector<Recorded>& rs) { return countTarget(rs, target) >= count; }, timeout);
  }

  static std::size_t countTarget(const std::vector<Recorded>& rs, const std::string& target) {
    return static_cast<std::size_t>(
        std::count_if(rs.begin(), rs.end(), [&](const Recorded& r) { return r.target == target; }));
  }

 private:
  std::unique_ptr<httplib::Server> owned_;
  httplib::Server* server_;
  StatusFn statusFor_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Recorded> requests_;
  bool held_ = false;
};

std::string describe(const std::vector<Recorded>& rs) {
  std::string out;
  for (const Recorded& r : rs) out += "  " + r.method + " " + r.target + (r.body.empty() ? "" : " " + r.body) + "\n";
  return out.empty() ? "  (none)\n" : out;
}

constexpr char kPassword[] = "S3cr&t pass";
constexpr char kPasswordQuery[] = "S3cr%26t%20pass";
constexpr char kBase[] = "http://pic.example.com/cms";
constexpr char kEncodedBase[] = "http%3A%2F%2Fpic.example.com%2Fcms";

// sersync's section, pointed at the recording server.
std::string chinacacheSection(const fs::path& watch, int port, const std::string& extra = "") {
  return "<plugin name=\"refreshCDN\"><localpath watch=\"" + xmlEscape(watch.string()) + "\">" +
         "<cdninfo domainname=\"127.0.0.1\" port=\"" + std::to_string(port) +
         "\" username=\"user1\" passwd=\"" + xmlEscape(kPassword) + "\"/>" +
         "<sendurl base=\"" + kBase + "\"/>" +
         "<regexurl regex=\"false\" match=\"cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images\"/>" + extra +
         "</localpath></plugin>";
}

std::string ccTarget(const std::string& field, const std::string& encodedRest) {
  return std::string("/index.jsp?user=user1&pswd=") + kPasswordQuery + "&ok=ok&" + field + "=" + kEncodedBase +
         encodedRest;
}

// Scenario in plugin-only mode: no rsync push, only the refreshCDN section.
Process& startPluginOnly(Scenario& s, const std::string& section) {
  s.config.pluginSection(section).logLevel("debug").retry(4, 50, 200);
  return s.startRelay({"-m", "refreshCDN"});
}

TEST(RefreshCdnApi, chinacache_requests_have_sersyncs_shape_url_encoded) {
  RecordingServer server;
  Scenario s;
  startPluginOnly(s, chinacacheSection(s.src, server.port()));
  ASSERT_TRUE(s.ready());

  writeFile(s.src / "a b?.txt", "1");
  const std::string fileTarget = ccTarget("urls", "%2Fa%2520b%253F.txt");
  ASSERT_TRUE(server.waitForTarget(fileTarget, 10s)) << describe(server.requests());

  fs::create_directory(s.src / "new dir");
  const std::string dirTarget = ccTarget("dirs", "%2Fnew%2520dir%2F");
  ASSERT_TRUE(server.waitForTarget(dirTarget, 10s)) << describe(server.requests());

  // A move purges the old and the new URL.
  std::size_t before = RecordingServer::countTarget(server.requests(), fileTarget);
  fs::rename(s.src / "a b?.txt", s.src / "new dir" / "m#1.txt");
  ASSERT_TRUE(server.waitForTarget(fileTarget, 10s, before + 1)) << describe(server.requests());
  ASSERT_TRUE(server.waitForTarget(ccTarget("urls", "%2Fnew%2520dir%2Fm%25231.txt"), 10s))
      << describe(server.requests());

  // A name that is not UTF-8: its bytes are percent-encoded (%E9), then encoded again as a query value.
  writeFile(bytesPath(s.src, "caf\xE9.txt"), "2");
  const std::string latin = ccTarget("urls", "%2Fcaf%25E9.txt");
  ASSERT_TRUE(server.waitForTarget(latin, 10s)) << describe(server.requests());
  before = RecordingServer::countTarget(server.requests(), latin);
  fs::remove(bytesPath(s.src, "caf\xE9.txt"));
  ASSERT_TRUE(server.waitForTarget(latin, 10s, before + 1)) << describe(server.requests());

  for (const Recorded& r : server.requests()) {
    EXPECT_EQ(r.method, "HEAD") << r.target;
    EXPECT_EQ(r.target.rfind("/index.jsp?user=user1&pswd=", 0), 0u) << r.target;
  }
  const std::string log = s.relay().output();
  EXPECT_EQ(log.find("S3cr"), std::string::npos) << "the password is in the log:\n" << log;
  EXPECT_NE(log.find("[redacted]"), std::string::npos) << "expected debug lines with redacted URLs:\n" << log;
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(RefreshCdnApi, full_sync_purges_the_base_as_a_directory_with_a_password_file) {
  RecordingServer server;
  Scenario s;
  const fs::path passwordFile = s.tmp / "cdn.pass";
  writePrivateFile(passwordFile, std::string(kPassword) + "\n");
  std::string section = chinacacheSection(s.src, server.port());
  const std::string inlinePassword = "passwd=\"" + xmlEscape(kPassword) + "\"";
  section.replace(section.find(inlinePassword), inlinePassword.size(),
                  "passwd_file=\"" + xmlEscape(passwordFile.string()) + "\"");
  s.config.pluginSection(section).logLevel("debug");
  s.startRelay({"-r", "-m", "refreshCDN"});
  ASSERT_TRUE(s.ready());
  // The password comes from the file; the full sync purges the root's base URL as a directory.
  ASSERT_TRUE(server.waitForTarget(ccTarget("dirs", "%2F"), 10s)) << describe(server.requests());
  EXPECT_EQ(server.requests().size(), 1u) << describe(server.requests());
  EXPECT_EQ(s.relay().output().find("S3cr"), std::string::npos) << s.relay().output();
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(RefreshCdnApi, server_errors_are_retried_and_client_errors_are_not) {
  // 503 twice then 200 for a.txt; 403 for every request about b.txt.
  auto failuresLeft = std::make_shared<std::atomic<int>>(2);
  RecordingServer server([failuresLeft](const Recorded& r, std::size_t) {
    if (r.target.find("b.txt") != std::string::npos) return 403;
    return failuresLeft->fetch_sub(1) > 0 ? 503 : 200;
  });
  Scenario s;
  startPluginOnly(s, chinacacheSection(s.src, server.port()));
  ASSERT_TRUE(s.ready());

  writeFile(s.src / "a.txt", "1");
  const std::string a = ccTarget("urls", "%2Fa.txt");
  ASSERT_TRUE(server.waitForTarget(a, 10s, 3)) << describe(server.requests());

  writeFile(s.src / "b.txt", "1");
  const std::string b = ccTarget("urls", "%2Fb.txt");
  ASSERT_TRUE(server.waitForTarget(b, 10s)) << describe(server.requests());
  ASSERT_TRUE(s.relay().waitForLine("fail log", 5s)) << s.relay().outputTail(20);
  std::this_thread::sleep_for(700ms);  // several retry intervals (50..200 ms): none may come
  const auto rs = server.requests();
  EXPECT_EQ(RecordingServer::countTarget(rs, a), 3u) << describe(rs);
  EXPECT_EQ(RecordingServer::countTarget(rs, b), 1u) << describe(rs);

  const std::string log = s.relay().output();
  EXPECT_NE(log.find("HTTP 403"), std::string::npos) << log;
  EXPECT_NE(log.find("HTTP 503"), std::string::npos) << log;
  EXPECT_EQ(log.find("S3cr"), std::string::npos) << "the password is in the log:\n" << log;
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(RefreshCdnApi, changes_pending_at_sigterm_are_still_purged) {
  RecordingServer server;
  Scenario s;
  startPluginOnly(s, chinacacheSection(s.src, server.port()));
  ASSERT_TRUE(s.ready());
  writeFile(s.src / "last.html", "1");
  EXPECT_TRUE(s.terminatesCleanly());
  EXPECT_EQ(RecordingServer::countTarget(server.requests(), ccTarget("urls", "%2Flast.html")), 1u)
      << describe(server.requests()) << s.relay().output();
}

TEST(RefreshCdnApi, rate_limit_spaces_requests) {
  RecordingServer server;
  Scenario s;
  startPluginOnly(s, chinacacheSection(s.src, server.port(), "<rate per_second=\"4\"/>"));
  ASSERT_TRUE(s.ready());
  for (int i = 0; i < 5; ++i) writeFile(s.src / ("f" + std::to_string(i)), "x");
  ASSERT_TRUE(server.waitUntil([](const std::vector<Recorded>& rs) { return rs.size() >= 5; }, 15s))
      << describe(server.requests());
  const auto rs = server.requests();
  for (std::size_t i = 1; i < rs.size(); ++i) {
    const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(rs[i].at - rs[i - 1].at);
    EXPECT_GE(gap.count(), 200) << "requests " << i - 1 << " and " << i << " came " << gap.count() << " ms apart";
  }
}

std::string jsonApiSection(const fs::path& watch, const std::string& url, const fs::path& tokenFile,
                           const std::string& extra = "") {
  return "<plugin name=\"refreshCDN\"><localpath watch=\"" + xmlEscape(watch.string()) + "\">" +
         "<cdninfo provider=\"json-api\"/>" + "<sendurl base=\"https://www.example.com/\"/>" +
         "<api url=\"" + xmlEscape(url) + "\" token_file=\"" + xmlEscape(tokenFile.string()) +
         "\" batch_size=\"2\"/>" + extra + "</localpath></plugin>";
}

// The URLs of every "urls" and "dirs" array in the bodies (they hold only ASCII URLs without quotes).
std::vector<std::string> listed(const std::string& body, const std::string& field) {
  std::vector<std::string> out;
  const std::size_t at = body.find("\"" + field + "\":[");
  if (at == std::string::npos) return out;
  const std::size_t end = body.find(']', at);
  std::size_t pos = body.find('[', at) + 1;
  while (pos < end) {
    const std::size_t open = body.find('"', pos);
    if (open == std::string::npos || open > end) break;
    const std::size_t close = body.find('"', open + 1);
    out.push_back(body.substr(open + 1, close - open - 1));
    pos = close + 1;
  }
  return out;
}

TEST(RefreshCdnApi, json_api_posts_batches_with_the_bearer_token) {
  RecordingServer server;
  Scenario s;
  const fs::path token = s.tmp / "api.token";
  writePrivateFile(token, "tok-ABC123\n");
  startPluginOnly(s, jsonApiSection(s.src, "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/purge?zone=z1",
                                    token));
  ASSERT_TRUE(s.ready());

  // The first request waits in the server while more changes queue up behind it: they arrive as one batch.
  server.hold();
  writeFile(s.src / "first.html", "1");
  ASSERT_TRUE(server.waitUntil([](const std::vector<Recorded>& rs) { return !rs.empty(); }, 10s));
  fs::create_directory(s.src / "img dir");
  for (const char* name : {"a.css", "b c.js", "d.png"}) writeFile(s.src / name, "x");
  std::this_thread::sleep_for(800ms);
  server.release();

  const std::vector<std::string> expectUrls = {
      "https://www.example.com/first.html", "https://www.example.com/a.css", "https://www.example.com/b%20c.js",
      "https://www.example.com/d.png"};
  auto allListed = [&](const std::vector<Recorded>& rs) {
    std::vector<std::string> got;
    for (const Recorded& r : rs)
      for (const std::string& u : listed(r.body, "urls")) got.push_back(u);
    for (const std::string& u : expectUrls)
      if (std::find(got.begin(), got.end(), u) == got.end()) return false;
    return true;
  };
  ASSERT_TRUE(server.waitUntil(allListed, 10s)) << describe(server.requests());
  ASSERT_TRUE(server.waitUntil(
      [](const std::vector<Recorded>& rs) {
        for (const Recorded& r : rs)
          for (const std::string& d : listed(r.body, "dirs"))
            if (d == "https://www.example.com/img%20dir/") return true;
        return false;
      },
      10s))
      << describe(server.requests());

  bool sawFullChunk = false;
  for (const Recorded& r : server.requests()) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/v1/purge?zone=z1");
    EXPECT_EQ(r.header("Authorization"), "Bearer tok-ABC123");
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    const std::size_t n = listed(r.body, "urls").size() + listed(r.body, "dirs").size();
    EXPECT_GE(n, 1u) << r.body;
    EXPECT_LE(n, 2u) << "batch_size is 2: " << r.body;
    sawFullChunk = sawFullChunk || n == 2;
    EXPECT_EQ(r.body.front(), '{');
  }
  EXPECT_TRUE(sawFullChunk) << "the queued changes should have come as one batch split by 2:\n"
                            << describe(server.requests());
  EXPECT_EQ(s.relay().output().find("tok-ABC123"), std::string::npos) << s.relay().output();
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(RefreshCdnApi, api_down_is_retried_until_it_answers) {
  const int port = probeFreePort();
  Scenario s;
  const fs::path token = s.tmp / "api.token";
  writePrivateFile(token, "tok");
  s.config.pluginSection(jsonApiSection(s.src, "http://127.0.0.1:" + std::to_string(port) + "/purge", token))
      .retry(30, 100, 300);
  s.startRelay({"-m", "refreshCDN"});
  ASSERT_TRUE(s.ready());
  writeFile(s.src / "while-down.html", "1");
  ASSERT_TRUE(s.relay().waitForLine("-> error: ", 10s)) << s.relay().outputTail(20);

  RecordingServer server({}, nullptr, port);
  ASSERT_TRUE(server.waitUntil([](const std::vector<Recorded>& rs) { return !rs.empty(); }, 10s))
      << s.relay().outputTail(20);
  EXPECT_EQ(server.requests().front().body, R"({"urls":["https://www.example.com/while-down.html"]})");
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(RefreshCdnApi, token_file_readable_by_others_is_refused) {
  TempDir tmp("fsrelay-cdn");
  const fs::path src = tmp.mkdir("src");
  const fs::path token = tmp / "api.token";
  writePrivateFile(token, "tok\n");
  fs::permissions(token, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  ConfigWriter config;
  config.localpath(src, {"unused"}).failLog(tmp / "fail.log").stateDir(tmp.mkdir("state"));
  config.pluginSection(jsonApiSection(src, "http://127.0.0.1:9/purge", token));
  config.write(tmp / "confxml.xml");
  RunResult r = runProgram({fsrelayBinary().string(), "-m", "refreshCDN", "-o", (tmp / "confxml.xml").string()},
                           tmp / "fsrelay.log", 20s, SpawnOptions{tmp.path(), {}});
  ASSERT_FALSE(r.timedOut) << r.output;
  EXPECT_FALSE(r.status.success()) << r.output;
  EXPECT_NE(r.output.find("api.token_file"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("chmod 600"), std::string::npos) << r.output;
}

// A self-signed certificate for 127.0.0.1, made with the openssl command line tool.
bool makeCertificate(const TempDir& tmp, fs::path* cert, fs::path* key) {
  *cert = tmp / "cert.pem";
  *key = tmp / "key.pem";
  RunResult r = runProgram({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key->string(),
                            "-out", cert->string(), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                            "subjectAltName=IP:127.0.0.1"},
                           tmp / "openssl.log", 30s);
  return r.status.success();
}

TEST(RefreshCdnApi, json_api_over_https_with_a_ca_file) {
  Scenario s;
  fs::path cert, key;
  ASSERT_TRUE(makeCertificate(s.tmp, &cert, &key)) << readFile(s.tmp / "openssl.log");
  httplib::SSLServer tls(cert.c_str(), key.c_str());
  ASSERT_TRUE(tls.is_valid());
  RecordingServer server({}, &tls);
  const fs::path token = s.tmp / "api.token";
  writePrivateFile(token, "tls-token");
  startPluginOnly(s, jsonApiSection(s.src, "https://127.0.0.1:" + std::to_string(server.port()) + "/purge", token,
                                    "<http ca_file=\"" + xmlEscape(cert.string()) + "\"/>"));
  ASSERT_TRUE(s.ready());
  writeFile(s.src / "secure.html", "1");
  ASSERT_TRUE(server.waitUntil([](const std::vector<Recorded>& rs) { return !rs.empty(); }, 10s))
      << s.relay().outputTail(20);
  const Recorded r = server.requests().front();
  EXPECT_EQ(r.body, R"({"urls":["https://www.example.com/secure.html"]})");
  EXPECT_EQ(r.header("Authorization"), "Bearer tls-token");
  EXPECT_TRUE(s.terminatesCleanly());
}

}  // namespace
}  // namespace fsrelay::test
