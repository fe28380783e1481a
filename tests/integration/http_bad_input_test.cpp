// The installed daemon's http endpoint against broken and hostile clients: malformed, oversized and slow
// requests get a 4xx or a closed connection within a bound, /status keeps answering, memory stays bounded.
#include <gtest/gtest.h>

#include <httplib.h>

#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr char kListening[] = "http endpoint listening on";
// The endpoint's deadline for a whole request (host.request_timeout_ms, 10 s by default), shortened here so that
// the slow clients below are cut off soon.
constexpr int kRequestTimeoutMs = 2000;
// How long a refused request may take to be answered or closed. The longest legitimate wait is the request
// deadline for a body that stops arriving.
constexpr auto kAnswerBound = 12s;
// Growth of the daemon's resident memory allowed over one test, whatever the clients sent.
constexpr long kMaxGrowthKb = 100 * 1024;

// A raw TCP client on 127.0.0.1: sends exactly the bytes a broken or hostile client would.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval sendTimeout{15, 0};  // a server that neither reads nor closes must not hang the test
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, sizeof sendTimeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  // Sends all of data; false once the server has closed or reset the connection (it refused the request).
  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Waits for the server's answer: its status code, 0 when it closed the connection without one (or reset it,
  // which can swallow an answer already sent), -1 when neither happened within timeout.
  int awaitAnswer(std::chrono::milliseconds timeout) {
    const auto end = Clock::now() + timeout;
    while (true) {
      if (const int status = parsedStatus(); status > 0) return status;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
      if (left <= 0ms) return -1;
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;  // timed out: the loop ends above
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int status = parsedStatus();
        return status > 0 ? status : 0;
      }
      received_.append(buf, static_cast<std::size_t>(n));
    }
  }

  // True when the server closed (or reset) the connection within timeout, reading and dropping any answer.
  bool closedWithin(std::chrono::milliseconds timeout) {
    const auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
      const int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 1)));
      if (ready <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0 && !(n < 0 && errno == EINTR)) return true;
    }
    return false;
  }

 private:
  int parsedStatus() const {
    // "HTTP/1.1 400 Bad Request\r\n"
    const std::size_t eol = received_.find("\r\n");
    if (eol == std::string::npos || received_.rfind("HTTP/1.", 0) != 0 || eol < 12) return 0;
    return std::atoi(received_.substr(9, 3).c_str());
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

// A refusal: a 4xx answer, or the connection closed without one.
bool refused(int status) { return status == 0 || (status >= 400 && status < 500); }

long rssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::string hostHeader(int port) { return "Host: 127.0.0.1:" + std::to_string(port) + "\r\n"; }

// A daemon running the http plugin alone, with the numbers every test checks at its end.
class HttpBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = probeFreePort();
    s_.config.host("127.0.0.1", port_)
        .pluginSection("<plugin name=\"http\">\n      <host hostip=\"127.0.0.1\" port=\"" + std::to_string(port_) +
                       "\" request_timeout_ms=\"" + std::to_string(requestTimeoutMs_) + "\"/>\n    </plugin>");
    s_.startRelay({"-m", "http"});
    ASSERT_TRUE(s_.ready());
    ASSERT_TRUE(s_.relay().waitForLine(kListening, 5s));
    ASSERT_TRUE(statusAnswers(5s));  // warms up the request threads before the baseline
    baselineKb_ = rssKb(s_.relay().pid());
    ASSERT_GT(baselineKb_, 0);
  }

  // GET /status gets 200 within timeout.
  ::testing::AssertionResult statusAnswers(std::chrono::seconds timeout) {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    const auto start = Clock::now();
    auto r = client.Get("/status");
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    if (!r)
      return ::testing::AssertionFailure() << "GET /status: " << httplib::to_string(r.error()) << " after " << ms
                                           << " ms";
    if (r->status != 200) return ::testing::AssertionFailure() << "GET /status answered " << r->status;
    return ::testing::AssertionSuccess() << "answered in " << ms << " ms";
  }

  // Sends request on a fresh connection; the answer must be a refusal, within kAnswerBound.
  void expectRefused(const std::string& what, const std::string& request) {
    RawClient c(port_);
    ASSERT_TRUE(c.connected()) << what;
    const auto start = Clock::now();
    c.send(request);  // may fail half-way: the server refused before reading everything
    const int status = c.awaitAnswer(kAnswerBound);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    EXPECT_TRUE(refused(status)) << what << ": answered " << status << " (-1: nothing within "
                                 << kAnswerBound.count() << " s)";
    EXPECT_LT(took, kAnswerBound) << what;
  }

  // The daemon is still up, still answering, did not keep what the clients sent, and still stops cleanly
  // (no request thread is stuck on a client).
  void expectHealthy() {
    ASSERT_TRUE(s_.relay().running()) << "fsrelay died";
    EXPECT_TRUE(statusAnswers(5s));
    const long grownKb = rssKb(s_.relay().pid()) - baselineKb_;
    EXPECT_LT(grownKb, kMaxGrowthKb) << "VmRSS grew by " << grownKb / 1024 << " MB";
    std::cout << "[ info ] VmRSS grew by " << grownKb << " kB over the test\n";
    EXPECT_TRUE(s_.terminatesCleanly(20s));
  }

  Scenario s_;
  int port_ = 0;
  long baselineKb_ = 0;
  int requestTimeoutMs_ = kRequestTimeoutMs;
};

// The same with a request deadline far longer than the test: a slow client is still sending when it acts.
class HttpBadInputLongDeadline : public HttpBadInput {
 protected:
  HttpBadInputLongDeadline() { requestTimeoutMs_ = 600000; }
};

TEST_F(HttpBadInput, malformed_requests_get_4xx_or_a_closed_connection) {
  const std::string host = hostHeader(port_);
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"not HTTP", "GARBAGE\r\n\r\n"},
      {"a method alone", "GET\r\n\r\n"},
      {"an unknown HTTP version", "GET /status HTTP/9.9\r\n" + host + "\r\n"},
      {"binary bytes", std::string("\x00\x01\x02\xff\xfe\r\n\r\n", 9)},
      {"a TLS ClientHello on the plain port", std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11)},
      {"bare LF line ends", "GET /status HTTP/1.1\nHost: 127.0.0.1:" + std::to_string(port_) + "\n\n"},
      {"a request target of 100 KB", "GET /" + std::string(100 * 1024, 'a') + " HTTP/1.1\r\n" + host + "\r\n"},
      {"no Host header", "GET /status HTTP/1.1\r\n\r\n"},
      {"a chunk size that is not hex", "POST /sync HTTP/1.1\r\n" + host +
                                           "Transfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n"},
      {"a Content-Length beyond 64 bits", "POST /sync HTTP/1.1\r\n" + host +
                                              "Content-Length: 99999999999999999999\r\n\r\n"},
      {"a negative Content-Length", "POST /sync HTTP/1.1\r\n" + host + "Content-Length: -1\r\n\r\nx"},
      {"a POST without a length", "POST /sync HTTP/1.1\r\n" + host + "\r\nroot=/"},
      // The one refusal that takes time: the endpoint waits until the request's deadline for the missing bytes.
      {"a body shorter than its Content-Length", "POST /sync HTTP/1.1\r\n" + host + "Content-Length: 10\r\n\r\nabc"},
  };
  for (const auto& [what, request] : requests) expectRefused(what, request);
  expectHealthy();
}

TEST_F(HttpBadInput, oversized_headers_are_refused) {
  const std::string start = "GET /status HTTP/1.1\r\n" + hostHeader(port_);
  // One header line of 1 MiB (cpp-httplib's limit for one line is 8 KiB).
  expectRefused("a 1 MiB header line", start + "X-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n");
  // 1 MiB in 10,000 short header lines: every line is within the limit, the whole is not.
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "X-H" + std::to_string(i) + ": " + std::string(90, 'v') + "\r\n";
  expectRefused("10,000 header lines", start + many + "\r\n");
  expectHealthy();
}

TEST_F(HttpBadInput, oversized_body_to_sync_is_refused_before_it_is_read) {
  const std::string start = "POST /sync HTTP/1.1\r\n" + hostHeader(port_) + "Content-Type: application/json\r\n";
  // 256 MiB announced and sent: refused from the header (the endpoint takes 64 KiB at most).
  {
    RawClient c(port_);
    ASSERT_TRUE(c.connected());
    const auto t0 = Clock::now();
    bool all = c.send(start + "Content-Length: " + std::to_string(256u << 20) + "\r\n\r\n");
    const std::string mib(1 << 20, '{');
    for (int i = 0; i < 256 && all; ++i) all = c.send(mib);
    const int status = c.awaitAnswer(kAnswerBound);
    EXPECT_TRUE(refused(status)) << "Content-Length 256 MiB: answered " << status;
    EXPECT_LT(Clock::now() - t0, kAnswerBound);
  }
  // 256 MiB in chunks: cpp-httplib 0.11 applies no limit to a chunked body, so the endpoint must refuse
  // chunked bodies before they are read (or hold all of it in memory).
  {
    RawClient c(port_);
    ASSERT_TRUE(c.connected());
    const auto t0 = Clock::now();
    bool all = c.send(start + "Transfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = "100000\r\n" + std::string(1 << 20, '{') + "\r\n";
    for (int i = 0; i < 256 && all; ++i) all = c.send(chunk);
    if (all) c.send("0\r\n\r\n");
    const int status = c.awaitAnswer(kAnswerBound);
    EXPECT_TRUE(refused(status)) << "chunked 256 MiB: answered " << status;
    EXPECT_LT(Clock::now() - t0, kAnswerBound);
  }
  expectHealthy();
}

// A client that sends its request a byte per second holds one request thread until the request deadline
// (cpp-httplib's read timeout applies to each read, the endpoint's deadline to the request); the others keep serving.
TEST_F(HttpBadInput, slow_loris_client_does_not_stop_status) {
  RawClient loris(port_);
  ASSERT_TRUE(loris.connected());
  const std::string request = "GET /status HTTP/1.1\r\n" + hostHeader(port_) + "X-Slow: " + std::string(64, 's');
  bool closed = false;
  for (std::size_t i = 0; i < 12 && !closed; ++i) {
    closed = !loris.send(request.substr(i, 1)) || loris.closedWithin(1s);
    if (i % 4 == 3) EXPECT_TRUE(statusAnswers(3s)) << "while a slow client sends byte " << i;
  }
  std::cout << "[ info ] the slow client was " << (closed ? "" : "not ") << "cut off within 12 s\n";
  EXPECT_TRUE(closed) << "a client sending a byte per second was not cut off at the request deadline";
  expectHealthy();
}

// More idle connections (connected, nothing sent) than the endpoint has request threads (16): each is
// closed after the idle timeout (2 s) or the request deadline, and /status is answered meanwhile.
TEST_F(HttpBadInput, many_idle_connections_are_closed_and_status_keeps_answering) {
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 40; ++i) {
    idle.push_back(std::make_unique<RawClient>(port_));
    ASSERT_TRUE(idle.back()->connected()) << "connection " << i;
  }
  EXPECT_TRUE(statusAnswers(kAnswerBound)) << "with 40 idle connections open";
  const auto end = Clock::now() + 15s;
  int open = 0;
  for (auto& c : idle) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    open += c->closedWithin(std::max(left, 1ms)) ? 0 : 1;
  }
  EXPECT_EQ(open, 0) << "idle connections still open 15 s later";
  expectHealthy();
}

// A plugin section with a key the plugin does not declare: --check names the file, the line and the key,
// and exits 2 (the unit test checks the key table; this is the daemon's own answer).
TEST(HttpBadInputConfig, unknown_key_in_the_http_section_is_a_check_error_with_its_line) {
  TempDir tmp("fsrelay-badkey");
  const fs::path config = tmp / "confxml.xml";
  fs::copy_file(fs::path(FSRELAY_SOURCE_DIR) / "tests/fixtures/broken/plugin-bad-key.xml", config);
  RunResult r = runProgram({fsrelayBinary().string(), "--check", "-m", "http", "-o", config.string()},
                           tmp / "check.log", 30s, SpawnOptions{tmp.path(), {}});
  EXPECT_FALSE(r.timedOut);
  EXPECT_TRUE(r.status.exited() && r.status.code() == 2) << r.status.describe() << "\n" << r.output;
  EXPECT_NE(r.output.find(config.string() + ":4: error: plugin http has no setting 'host.prot'"), std::string::npos)
      << r.output;
}

// ---- slow and endless requests: cpp-httplib 0.11 bounds each read, the endpoint bounds the request ----

// Slow clients holding every request thread (16) and waiting for one: each is cut off at the request deadline
// (counted from its connection, even while it waited), and /status is answered meanwhile.
TEST_F(HttpBadInput, slow_loris_clients_are_cut_off_within_15s) {
  std::vector<std::unique_ptr<RawClient>> loris;
  for (int i = 0; i < 20; ++i) {
    loris.push_back(std::make_unique<RawClient>(port_));
    ASSERT_TRUE(loris.back()->connected());
    loris.back()->send("GET /status HTTP/1.1\r\n");
  }
  std::atomic<bool> stop{false};
  std::thread feeder([&] {
    for (int second = 0; second < 20 && !stop; ++second) {
      for (auto& c : loris) c->send("X");
      std::this_thread::sleep_for(1s);
    }
  });
  const auto start = Clock::now();
  EXPECT_TRUE(statusAnswers(10s)) << "while 20 slow clients send a byte per second";
  int open = 0;
  for (auto& c : loris) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(start + 15s - Clock::now());
    open += c->closedWithin(std::max(left, 1ms)) ? 0 : 1;
  }
  stop = true;
  feeder.join();
  EXPECT_EQ(open, 0) << "slow clients still connected after 15 s";
  expectHealthy();
}

// A slow client still sending when fsrelay is told to stop (its deadline is 10 minutes away): the stop shuts
// down the sockets of requests in progress instead of joining their threads after the client is done.
TEST_F(HttpBadInputLongDeadline, sigterm_is_not_held_up_by_a_slow_client) {
  RawClient loris(port_);
  ASSERT_TRUE(loris.connected());
  const std::string request = "GET /status HTTP/1.1\r\n" + hostHeader(port_) + "X-Slow: " + std::string(64, 's');
  std::atomic<bool> stop{false};
  std::thread feeder([&] {
    for (std::size_t i = 0; i < request.size() && !stop && loris.send(request.substr(i, 1)); ++i)
      std::this_thread::sleep_for(1s);
  });
  std::this_thread::sleep_for(1500ms);  // the client has sent a byte or two of its request
  const auto start = Clock::now();
  s_.relay().signal(SIGTERM);
  const auto status = s_.relay().waitExit(15s);
  const auto stoppedIn = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  stop = true;
  feeder.join();
  ASSERT_TRUE(status.has_value()) << "fsrelay still running 15 s after SIGTERM while a slow client sends";
  EXPECT_TRUE(status->success()) << status->describe();
  EXPECT_LT(stoppedIn, 3s) << "the stop waited for the slow client";
  std::cout << "[ info ] stopped in " << stoppedIn.count() << " ms\n";
}

// An endless header section (short lines, none of them over the per-line limit): cut off once the head passes
// its limits while it is read (before, it was read into memory until the client stopped: about 250 MB of
// VmRSS for 100 MB sent).
TEST_F(HttpBadInput, endless_header_stream_is_cut_off_with_bounded_memory) {
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  std::string lines;
  for (int i = 0; i < 1000; ++i) lines += "X-H" + std::to_string(i) + ": " + std::string(90, 'v') + "\r\n";
  bool sending = c.send("GET /status HTTP/1.1\r\n" + hostHeader(port_));
  std::size_t sent = 0;
  while (sending && sent < (150u << 20)) {
    sending = c.send(lines);
    sent += lines.size();
  }
  EXPECT_FALSE(sending) << "150 MB of headers were accepted without the connection being closed";
  expectHealthy();
}

}  // namespace
}  // namespace fsrelay::test
