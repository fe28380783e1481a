// The installed daemon's http plugin endpoint: /status, /metrics (checked by promtool), /events, POST /sync
// and its token, origin and bind-address rules.
#include <gtest/gtest.h>

#include <httplib.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_peers.hpp"
#include "tests/support/scenario.hpp"

extern char** environ;

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr char kToken[] = "test-token-0123456789abcdef";

// The endpoint logs this line once it accepts connections.
constexpr char kListening[] = "http endpoint listening on";

std::string section(int port, const fs::path& tokenFile = {}, const std::string& eventsAttributes = "") {
  std::string s = "<plugin name=\"http\">\n      <host hostip=\"127.0.0.1\" port=\"" + std::to_string(port) + "\"";
  if (!tokenFile.empty()) s += " token_file=\"" + xmlEscape(tokenFile.string()) + "\"";
  s += "/>\n      <events heartbeat_s=\"1\"" + eventsAttributes + "/>\n    </plugin>";
  return s;
}

// Runs promtool check metrics with text on its stdin (no shell): its exit status and output.
RunResult promtoolCheck(const std::string& text, const fs::path& dir) {
  const fs::path input = dir / "metrics.txt";
  const fs::path output = dir / "promtool.log";
  writeFile(input, text);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const char* argv[] = {"/usr/bin/promtool", "check", "metrics", nullptr};
  pid_t pid = -1;
  RunResult result;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.status.raw = 127 << 8;
    result.output = "cannot start /usr/bin/promtool";
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status.raw = status;
  result.output = readFile(output);
  return result;
}

httplib::Result postSync(int port, const std::string& body, const httplib::Headers& headers,
                         const std::string& contentType = "application/x-www-form-urlencoded") {
  httplib::Client client("127.0.0.1", port);
  return client.Post("/sync", headers, body, contentType);
}

httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

TEST(HttpEndpoint, status_and_metrics_in_plugin_only_mode) {
  Scenario s;
  const int port = probeFreePort();
  s.config.host("127.0.0.1", port);  // sersync's <head><host>: used when the section has no <host>
  s.startRelay({"-m", "http"});
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.relay().waitForLine(kListening, 5s));

  httplib::Client client("127.0.0.1", port);
  auto status = client.Get("/status");
  ASSERT_TRUE(status) << httplib::to_string(status.error());
  EXPECT_EQ(status->status, 200);
  EXPECT_EQ(status->get_header_value("Content-Type"), "application/json");
  EXPECT_NE(status->body.find("\"path\":\"" + s.src.string() + "\""), std::string::npos) << status->body;
  EXPECT_NE(status->body.find("\"plugin\":\"http\""), std::string::npos) << status->body;
  EXPECT_NE(status->body.find("\"http\":{\"listen\":\"http://127.0.0.1:" + std::to_string(port) + "/\""),
            std::string::npos)
      << status->body;

  writeFile(s.src / "counted.txt", "x\n");
  std::this_thread::sleep_for(300ms);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  EXPECT_NE(metrics->body.find("\nfsrelay_http_events_clients 0\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("fsrelay_http_requests_total "), std::string::npos);
  const RunResult check = promtoolCheck(metrics->body, s.tmp.path());
  EXPECT_TRUE(check.status.success()) << check.status.describe() << ": " << check.output << "\n" << metrics->body;

  // A name the endpoint does not serve, and a GET where only POST is meaningful.
  auto missing = client.Get("/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto getSync = client.Get("/sync");
  ASSERT_TRUE(getSync);
  EXPECT_EQ(getSync->status, 405);
  EXPECT_TRUE(s.terminatesCleanly(15s));
}

TEST(HttpEndpoint, events_stream_changes_and_syncs) {
  Scenario s;
  const int port = probeFreePort();
  const fs::path tokenFile = s.tmp / "token";
  writePrivateFile(tokenFile, std::string(kToken) + "\n");
  s.config.pluginSection(section(port, tokenFile));
  s.startRelay({"-m", "http"});
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.relay().waitForLine(kListening, 5s));

  EventStream events(port);
  ASSERT_TRUE(events.waitFor(": fsrelay events", 5s)) << events.text();

  fs::create_directory(s.src / "d");
  writeFile(s.src / "d/new \"file\".txt", "hello\n");
  ASSERT_TRUE(events.waitFor("\"path\":\"d/new \\\"file\\\".txt\"", 5s)) << events.text();
  const std::string text = events.text();
  EXPECT_NE(text.find("event: change\ndata: {\"op\":\"upsert\",\"root\":\"" + s.src.string() + "\",\"path\":\"d\","
                      "\"dir\":true,"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"dir\":false,\"time\":\""), std::string::npos) << text;

  fs::rename(s.src / "d/new \"file\".txt", s.src / "d/renamed");
  ASSERT_TRUE(events.waitFor("\"op\":\"move\",\"root\":\"" + s.src.string() +
                                 "\",\"path\":\"d/renamed\",\"old_path\":\"d/new \\\"file\\\".txt\"",
                             5s))
      << events.text();
  fs::remove(s.src / "d/renamed");
  ASSERT_TRUE(events.waitFor("\"op\":\"delete\",\"root\":\"" + s.src.string() + "\",\"path\":\"d/renamed\"", 5s))
      << events.text();

  // A name that is not UTF-8 arrives lossy plus its exact bytes in base64.
  writeFile(bytesPath(s.src, "bad\xff"), "x");
  ASSERT_TRUE(events.waitFor("\"path\":\"bad\xEF\xBF\xBD\",\"path_b64\":\"YmFk/w==\"", 5s)) << events.text();

  // POST /sync reaches every target of the root, the http instance too: a sync event.
  auto sync = postSync(port, "root=" + s.src.string(), bearer(kToken));
  ASSERT_TRUE(sync);
  EXPECT_EQ(sync->status, 202) << sync->body;
  ASSERT_TRUE(events.waitFor("event: sync\ndata: {\"root\":\"" + s.src.string() + "\"", 5s)) << events.text();

  // An idle stream gets heartbeat comments (events.heartbeat_s = 1).
  ASSERT_TRUE(events.waitFor(": heartbeat\n", 3s)) << events.text();
  EXPECT_TRUE(s.terminatesCleanly(15s));
}

// A client connected to /events that never reads: held open with a tiny receive window.
class StalledClient {
 public:
  explicit StalledClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 4096;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    const std::string request = "GET /events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n";
    connected_ = connected_ && ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) ==
                                   static_cast<ssize_t>(request.size());
  }
  ~StalledClient() { ::close(fd_); }
  bool connected() const { return connected_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::int64_t metricValue(const std::string& text, const std::string& name) {
  const std::size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stoll(text.substr(at + name.size() + 2));
}

TEST(HttpEndpoint, a_stalled_events_client_is_dropped_and_others_keep_streaming) {
  Scenario s;
  const int port = probeFreePort();
  s.config.pluginSection(section(port, {}, " buffer_bytes=\"131072\""));
  s.startRelay({"-m", "http"});
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.relay().waitForLine(kListening, 5s));

  EventStream reader(port);
  ASSERT_TRUE(reader.waitFor(": fsrelay events", 5s));
  auto stalled = std::make_unique<StalledClient>(port);
  ASSERT_TRUE(stalled->connected());
  httplib::Client client("127.0.0.1", port);
  const auto connected = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < connected) {
    auto m = client.Get("/metrics");
    if (m && metricValue(m->body, "fsrelay_http_events_clients") == 2) break;
    std::this_thread::sleep_for(20ms);
  }

  // Long names fill the stalled client's socket and 128 KiB buffer in about 1,000 events; a round (about
  // 35 KB of events) is far less than the buffer, so the reader that keeps up is never dropped.
  const std::string longName(200, 'n');
  std::int64_t dropped = 0;
  const auto end = std::chrono::steady_clock::now() + 15s;
  for (int round = 0; dropped < 1 && std::chrono::steady_clock::now() < end; ++round) {
    for (int i = 0; i < 100; ++i) writeFile(s.src / (longName + std::to_string(round * 100 + i)), "");
    std::this_thread::sleep_for(100ms);
    auto m = client.Get("/metrics");
    if (m) dropped = metricValue(m->body, "fsrelay_http_events_dropped_clients_total");
  }
  EXPECT_EQ(dropped, 1) << "the stalled client was not dropped";
  stalled.reset();  // its thread may still wait out the write timeout (3 s) otherwise, delaying the stop

  // The reader that keeps up still gets every change, the newest too.
  writeFile(s.src / "after-the-drop", "");
  EXPECT_TRUE(reader.waitFor("\"path\":\"after-the-drop\"", 10s));
  EXPECT_TRUE(s.terminatesCleanly(15s));
}

TEST(HttpEndpoint, sync_needs_the_token_and_runs_a_full_sync) {
  Scenario s;
  const int port = probeFreePort();
  const fs::path tokenFile = s.tmp / "token";
  writePrivateFile(tokenFile, std::string(kToken) + "\n");
  s.config.enablePlugin("http").pluginSection(section(port, tokenFile));
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.relay().waitForLine(kListening, 5s));
  writeFile(s.src / "a.txt", "a\n");
  ASSERT_TRUE(s.converged());

  // Only a full sync (rsync --delete) removes a file that exists on the target alone.
  const fs::path stray = s.daemon.moduleDir("t1") / "stray.txt";
  writeFile(stray, "only on the target\n");

  const std::string form = "root=" + s.src.string() + "&target=::t1";
  auto none = postSync(port, form, {});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401) << none->body;
  EXPECT_NE(none->get_header_value("WWW-Authenticate").find("Bearer"), std::string::npos);
  auto wrong = postSync(port, form, bearer("test-token-0123456789abcdeX"));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401) << wrong->body;
  httplib::Headers crossOrigin = bearer(kToken);
  crossOrigin.emplace("Origin", "http://evil.example");
  auto cross = postSync(port, form, crossOrigin);
  ASSERT_TRUE(cross);
  EXPECT_EQ(cross->status, 403) << cross->body;
  auto unknown = postSync(port, "{\"root\":\"/no/such/root\"}", bearer(kToken), "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404) << unknown->body;
  EXPECT_NE(unknown->body.find("\"error\":"), std::string::npos);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(fs::exists(stray)) << "a refused request started a sync";

  auto ok = postSync(port, form, bearer(kToken));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 202) << ok->body;
  const auto end = std::chrono::steady_clock::now() + 15s;
  while (fs::exists(stray) && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(fs::exists(stray)) << "the full sync did not run";
  EXPECT_TRUE(fs::exists(s.daemon.moduleDir("t2") / "a.txt"));
  EXPECT_TRUE(s.relay().waitForLine("full sync requested by 127.0.0.1", 1s));
  EXPECT_TRUE(s.terminatesCleanly(15s));
}

TEST(HttpEndpoint, sync_is_refused_without_a_configured_token) {
  Scenario s;
  const int port = probeFreePort();
  s.config.host("127.0.0.1", port);
  s.startRelay({"-m", "http"});
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.relay().waitForLine(kListening, 5s));
  auto r = postSync(port, "", bearer(kToken));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->body.find("token_file"), std::string::npos) << r->body;
}

TEST(HttpEndpoint, dns_rebinding_host_header_is_refused) {
  Scenario s;
  const int port = probeFreePort();
  s.config.host("127.0.0.1", port);
  s.startRelay({"-m", "http"});
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.relay().waitForLine(kListening, 5s));
  httplib::Client client("127.0.0.1", port);
  auto r = client.Get("/status", {{"Host", "evil.example:" + std::to_string(port)}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  auto local = client.Get("/status", {{"Host", "localhost:" + std::to_string(port)}});
  ASSERT_TRUE(local);
  EXPECT_EQ(local->status, 200);
}

TEST(HttpEndpoint, network_bind_without_token_is_a_startup_error) {
  Scenario s;
  // 192.0.2.1 (TEST-NET-1) is never bound: the check must refuse it before trying.
  s.config.host("192.0.2.1", probeFreePort());
  s.startRelay({"-m", "http"});
  const auto status = s.relay().waitExit(15s);
  ASSERT_TRUE(status.has_value()) << "fsrelay kept running";
  EXPECT_FALSE(status->success());
  EXPECT_NE(s.relay().output().find("needs host.token_file"), std::string::npos) << s.relay().output();
}

TEST(HttpEndpoint, token_file_readable_by_others_is_a_startup_error) {
  Scenario s;
  const int port = probeFreePort();
  const fs::path tokenFile = s.tmp / "token";
  writePrivateFile(tokenFile, std::string(kToken) + "\n");
  fs::permissions(tokenFile, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  s.config.pluginSection(section(port, tokenFile));
  s.startRelay({"-m", "http"});
  const auto status = s.relay().waitExit(15s);
  ASSERT_TRUE(status.has_value()) << "fsrelay kept running";
  EXPECT_FALSE(status->success());
  EXPECT_NE(s.relay().output().find("must not be accessible by group or others"), std::string::npos)
      << s.relay().output();
}

}  // namespace
}  // namespace fsrelay::test
