// A throttling TCP proxy on a loopback address for the fault tests: a slow remote, or one that goes away.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace fsrelay::test {

struct ProxyOptions {
  std::string listenAddress = "127.0.0.1";
  int listenPort = 0;  // 0: any free port
  std::string upstreamAddress = "127.0.0.1";
  int upstreamPort = 0;
  // Every chunk read from one side is written to the other this long after it was read: with one pump
  // thread per direction that is both a latency and, for bulk data, a cap of chunkBytes per delay.
  std::chrono::milliseconds delay{0};
  std::size_t bytesPerSecond = 0;  // per connection and direction; 0 = unlimited
  std::size_t chunkBytes = 16 * 1024;
};

// Accepts on its own thread; every connection gets two pump threads (one per direction). Nothing is
// buffered beyond one chunk, so a slow proxy pushes back on the sender through TCP as a slow link does.
class ThrottlingProxy {
 public:
  // Listens at once (SO_REUSEADDR, so it can listen on the same port again after stop()). Throws
  // std::system_error when it cannot bind.
  explicit ThrottlingProxy(ProxyOptions options);
  ~ThrottlingProxy();  // stop(), then joins every thread
  ThrottlingProxy(const ThrottlingProxy&) = delete;
  ThrottlingProxy& operator=(const ThrottlingProxy&) = delete;

  int port() const { return port_; }
  // Changes the throttle of every connection, open ones included (the slowness can end mid-transfer).
  void setThrottle(std::chrono::milliseconds delay, std::size_t bytesPerSecond);
  // The remote goes away: new connections are refused, open ones are reset (RST).
  void stop();
  void start();  // listens on the same port again

  std::size_t accepted() const { return accepted_.load(); }
  std::uint64_t bytesUp() const { return bytesUp_.load(); }      // client -> upstream
  std::uint64_t bytesDown() const { return bytesDown_.load(); }  // upstream -> client

 private:
  struct Session;
  void listen();
  void acceptLoop();
  void pump(Session& s, bool up);
  void reapFinished(bool all);

  ProxyOptions opt_;
  int port_ = 0;
  int listenFd_ = -1;
  int wakePipe_[2] = {-1, -1};
  std::atomic<bool> quit_{false};
  std::atomic<bool> listening_{false};
  std::atomic<std::int64_t> delayMs_{0};
  std::atomic<std::size_t> bytesPerSecond_{0};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::uint64_t> bytesUp_{0};
  std::atomic<std::uint64_t> bytesDown_{0};
  std::mutex mutex_;  // guards sessions_ and listenFd_ changes
  std::list<std::unique_ptr<Session>> sessions_;
  std::thread acceptThread_;
};

}  // namespace fsrelay::test
